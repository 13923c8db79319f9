// Import boundaries (docs/architecture.md "Layers and dependencies"), checked by `npm run lint`:
// - dependencies point down: config ← observability ← db ← query ← http ← subsystems ← app/main/cli;
// - subsystems never import each other;
// - a folder is entered only through its index.ts;
// - db/ and query/ never import Fastify; the SDK imports nothing from the server.
const S = '^packages/server/src/';
const SUBSYSTEMS = '(rest|graphql|auth|realtime|storage|functions|jobs|webhooks|admin)';
const LOWER = '(config|observability|db|query|http)';

module.exports = {
  forbidden: [
    { name: 'config-is-a-leaf', severity: 'error', from: { path: `${S}config/` }, to: { path: `${S}(?!config/)` } },
    { name: 'observability-depends-on-config-only', severity: 'error', from: { path: `${S}observability/` }, to: { path: `${S}(?!(observability|config)/)` } },
    { name: 'db-depends-down-only', severity: 'error', from: { path: `${S}db/` }, to: { path: `${S}(?!(db|config|observability)/)` } },
    { name: 'query-depends-down-only', severity: 'error', from: { path: `${S}query/` }, to: { path: `${S}(?!(query|db|config|observability)/)` } },
    { name: 'http-depends-down-only', severity: 'error', from: { path: `${S}http/` }, to: { path: `${S}(?!(http|query|db|config|observability)/)` } },
    {
      name: 'query-plan-not-sql', severity: 'error',
      comment: 'The planner is the only validator and knows no SQL compiler: shared quoting is query/ident.ts',
      from: { path: `${S}query/plan/` },
      to: { path: `${S}query/sql/` },
    },
    {
      name: 'query-sql-not-parse', severity: 'error',
      comment: 'The compiler compiles plans only: no parse AST helpers, no name suggestions (it looks no name up)',
      from: { path: `${S}query/sql/` },
      to: { path: `${S}query/(parse/|suggest\\.ts$)` },
    },
    {
      name: 'subsystems-never-sideways', severity: 'error',
      comment: 'A subsystem may use the lower layers; other subsystems only through interfaces passed in by app.ts',
      from: { path: `${S}${SUBSYSTEMS}/` },
      to: { path: `${S}${SUBSYSTEMS}/`, pathNot: `${S}$1/` },
    },
    {
      name: 'subsystems-not-upward', severity: 'error',
      from: { path: `${S}(${SUBSYSTEMS.slice(1, -1)}|${LOWER.slice(1, -1)})/` },
      to: { path: `${S}(app|main|index)\\.ts$|${S}cli/` },
    },
    {
      name: 'enter-folders-through-index', severity: 'error',
      comment: 'Import another folder through its index.ts, never its inner files',
      from: { path: `${S}([^/]+)/` },
      to: { path: `${S}([^/]+)/(?!index\\.ts$).+`, pathNot: `${S}$1/` },
    },
    {
      name: 'top-level-through-index', severity: 'error',
      from: { path: `${S}[^/]+\\.ts$` },
      to: { path: `${S}[^/]+/(?!index\\.ts$).+` },
    },
    { name: 'no-fastify-in-db-or-query', severity: 'error', from: { path: `${S}(db|query)/` }, to: { path: 'node_modules/(fastify|find-my-way)/' } },
    {
      name: 'rest-stages-take-plain-data', severity: 'error',
      comment: 'Only the route files (rest/routes/) see Fastify; the stages take a RestRequest and answer a RestResponse (rest/request.ts)',
      from: { path: `${S}rest/(?!routes/)` },
      to: { path: 'node_modules/(fastify|find-my-way)/' },
    },
    { name: 'sdk-is-standalone', severity: 'error', from: { path: '^packages/sdk/src/' }, to: { path: '^packages/(?!sdk/)|node_modules/@types/node' } },
    { name: 'sdk-no-node-builtins', severity: 'error', from: { path: '^packages/sdk/src/' }, to: { dependencyTypes: ['core'] } },
    { name: 'no-circular', severity: 'error', from: { path: '^packages/' }, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'], exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
  },
};
