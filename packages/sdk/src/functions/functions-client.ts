// `client.functions`: invoke edge functions (any caller the function admits), and deploy,
// inspect, sync and delete them (admin routes: a service_role key or an admin user).
import type { FluxbaseResult, Transport } from '../transport.ts';
import { invokeFunction, type InvokeSettings } from './invoke.ts';
import { arrayResult, emptyResult, objectResult } from '../result-shape.ts';
import { FunctionSecretsClient } from './secrets-client.ts';
import type {
  EdgeFunction, FunctionDeploy, FunctionExecution, FunctionExecutionsOptions, FunctionInvokeOptions, FunctionInvokeResponse,
  FunctionNamespaceOptions, FunctionReloadResult, FunctionSyncRequest, FunctionSyncResult, FunctionUpdate,
} from './types.ts';

const fnPath = (name: string) => `/api/v1/functions/${encodeURIComponent(name)}`;

export class FunctionsClient {
  /** Secrets injected into functions as `FLUXBASE_SECRET_<NAME>` (admin). */
  readonly secrets: FunctionSecretsClient;
  private readonly transport: Transport;
  private readonly invokeSettings: InvokeSettings;

  /** Built by createClient: JSON routes go through `transport`, invocations through `invokeSettings`. */
  constructor(transport: Transport, invokeSettings: InvokeSettings) {
    this.transport = transport;
    this.invokeSettings = invokeSettings;
    this.secrets = new FunctionSecretsClient(transport);
  }

  /**
   * Call function `name` (POST unless `method` says otherwise) with the client's credential.
   * `data` is the response body decoded by Content-Type (JSON, text, else a Blob); a
   * non-2xx answer is `error` with the server's code (FUNCTION_NOT_FOUND 404,
   * FUNCTION_DISABLED 403, MISSING_AUTHENTICATION 401, FUNCTION_ERROR 500 with
   * `details.reason`, FUNCTION_TIMEOUT 504). Never throws for HTTP or network failures;
   * a GET/HEAD with a body or an unserializable body throws, as a programming error.
   */
  invoke<T = unknown>(name: string, options?: FunctionInvokeOptions): Promise<FunctionInvokeResponse<T>> {
    return invokeFunction<T>(this.invokeSettings, name, options);
  }

  /** Deploy a new function: 201 with the stored function; 400 FUNCTION_BUNDLE_ERROR, 409 ALREADY_EXISTS. */
  create(deploy: FunctionDeploy): Promise<FluxbaseResult<EdgeFunction>> {
    return objectResult(this.transport('POST', '/api/v1/functions', { body: deploy }), 'a function');
  }

  /** Change code or settings (PUT); the function's `version` grows by one. */
  update(name: string, fields: FunctionUpdate, options: FunctionNamespaceOptions = {}): Promise<FluxbaseResult<EdgeFunction>> {
    return objectResult(this.transport('PUT', fnPath(name), { body: fields, query: { namespace: options.namespace } }), 'a function');
  }

  delete(name: string, options: FunctionNamespaceOptions = {}): Promise<FluxbaseResult<null>> {
    return emptyResult(this.transport('DELETE', fnPath(name), { query: { namespace: options.namespace } }));
  }

  /** Every function (without code), optionally of one namespace. */
  list(options: FunctionNamespaceOptions = {}): Promise<FluxbaseResult<EdgeFunction[]>> {
    return arrayResult(this.transport('GET', '/api/v1/functions', { query: { namespace: options.namespace } }), 'a function list');
  }

  get(name: string, options: FunctionNamespaceOptions = {}): Promise<FluxbaseResult<EdgeFunction>> {
    return objectResult(this.transport('GET', fnPath(name), { query: { namespace: options.namespace } }), 'a function');
  }

  /** Recent runs of a function, newest first. */
  executions(name: string, options: FunctionExecutionsOptions = {}): Promise<FluxbaseResult<FunctionExecution[]>> {
    return arrayResult(this.transport('GET', `${fnPath(name)}/executions`, { query: { limit: options.limit, namespace: options.namespace } }), 'an execution list');
  }

  /** Upstream's name for `executions`. */
  getExecutions(name: string, limit?: number): Promise<FluxbaseResult<FunctionExecution[]>> {
    return this.executions(name, limit === undefined ? {} : { limit });
  }

  /** Make a namespace hold exactly these functions (creating, updating and, with `delete_missing`, deleting). */
  sync(request: FunctionSyncRequest): Promise<FluxbaseResult<FunctionSyncResult>> {
    return objectResult(this.transport('POST', '/api/v1/admin/functions/sync', { body: request }), 'a sync result');
  }

  /** Rescan the server's functions folder (`functions.dir`). */
  reload(): Promise<FluxbaseResult<FunctionReloadResult>> {
    return objectResult(this.transport('POST', '/api/v1/admin/functions/reload'), 'a reload result');
  }
}
