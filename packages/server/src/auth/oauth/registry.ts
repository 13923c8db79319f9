// Which providers exist: those of `auth.oauth` in fluxbase.yaml and the rows of
// auth.oauth_providers. A row overrides a configured provider of the same name (the admin
// API can change it at run time). Unknown or disabled names are 404 NOT_FOUND
// (`details.resource: oauth_provider`).
import { errors } from '../../http/index.ts';
import type { Logger } from '../../observability/index.ts';
import { PROVIDER_NAME, type ProviderSpec } from './provider-spec.ts';
import type { ProviderStore } from './provider-store.ts';

export class ProviderRegistry {
  constructor(
    private readonly configured: ReadonlyMap<string, ProviderSpec>,
    private readonly store: ProviderStore,
    private readonly logger: Logger,
  ) {}

  configuredSpec(name: string): ProviderSpec | undefined {
    return this.configured.get(name);
  }

  /** Every provider, enabled or not, by name (database rows win). */
  async all(): Promise<Map<string, ProviderSpec>> {
    const out = new Map(this.configured);
    for (const row of await this.store.all()) {
      const problems: Record<string, string> = {};
      const spec = this.store.toSpec(row, problems);
      if (spec) out.set(row.name, spec);
      else {
        // A row written before a stricter rule: skip it loudly rather than fail every sign-in.
        out.delete(row.name);
        this.logger.warn({ provider: row.name, problems }, 'OAuth provider row is invalid and is ignored');
      }
    }
    return out;
  }

  async enabled(): Promise<ProviderSpec[]> {
    return [...(await this.all()).values()].filter((s) => s.enabled).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The enabled provider `name`, or 404. */
  async get(name: string): Promise<ProviderSpec> {
    if (!PROVIDER_NAME.test(name)) throw errors.notFound('oauth_provider', 'No OAuth provider has this name');
    const row = await this.store.find(name);
    const spec = row ? this.store.toSpec(row) : this.configured.get(name);
    if (!spec) throw errors.notFound('oauth_provider', `OAuth provider '${name}' is not configured`);
    if (!spec.enabled) throw errors.notFound('oauth_provider', `OAuth provider '${spec.name}' is disabled`);
    return spec;
  }
}
