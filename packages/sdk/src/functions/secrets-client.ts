// `client.functions.secrets`: the write-only values injected into functions and jobs as
// `FLUXBASE_SECRET_<NAME>` (`/api/v1/secrets`, admin only). No route returns a value.
import type { FluxbaseResult, Transport } from '../transport.ts';
import { arrayResult, emptyResult, objectResult } from '../result-shape.ts';
import type {
  FunctionNamespaceOptions, FunctionSecret, FunctionSecretInput, FunctionSecretListOptions, FunctionSecretUpdate,
} from './types.ts';

const byName = (name: string) => `/api/v1/secrets/by-name/${encodeURIComponent(name)}`;

export class FunctionSecretsClient {
  private readonly transport: Transport;

  /** Built by createClient. */
  constructor(transport: Transport) {
    this.transport = transport;
  }

  /** Metadata of every secret, optionally of one scope or namespace. */
  list(options: FunctionSecretListOptions = {}): Promise<FluxbaseResult<FunctionSecret[]>> {
    return arrayResult(this.transport('GET', '/api/v1/secrets', { query: { scope: options.scope, namespace: options.namespace } }), 'a secret list');
  }

  /** Store a new secret (409 ALREADY_EXISTS when the name is taken in its scope). */
  set(secret: FunctionSecretInput): Promise<FluxbaseResult<FunctionSecret>> {
    return objectResult(this.transport('POST', '/api/v1/secrets', { body: secret }), 'a secret');
  }

  /** Upstream's name for `set`. */
  create(secret: FunctionSecretInput): Promise<FluxbaseResult<FunctionSecret>> {
    return this.set(secret);
  }

  get(name: string, options: FunctionNamespaceOptions = {}): Promise<FluxbaseResult<FunctionSecret>> {
    return objectResult(this.transport('GET', byName(name), { query: { namespace: options.namespace } }), 'a secret');
  }

  /** Change the value, description or expiry; fields left out keep their value. */
  update(name: string, fields: FunctionSecretUpdate, options: FunctionNamespaceOptions = {}): Promise<FluxbaseResult<FunctionSecret>> {
    return objectResult(this.transport('PUT', byName(name), { body: fields, query: { namespace: options.namespace } }), 'a secret');
  }

  delete(name: string, options: FunctionNamespaceOptions = {}): Promise<FluxbaseResult<null>> {
    return emptyResult(this.transport('DELETE', byName(name), { query: { namespace: options.namespace } }));
  }
}
