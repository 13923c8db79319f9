// Bootstrap source shared by the cold (bootstrap-source.ts) and warm
// (warm-bootstrap-source.ts) wrappers, so both accept the same handler forms and turn a
// handler's value into a response the same way. Declares, in the generated module: `enc`,
// the Deno.serve stub and `served`, `describe`, `NO_HANDLER`, `pickHandler`, `buildRequest`
// `toFrame`, `runHandler` and `contextFor`. Must be spliced in before the user module is
// imported. `contextModule` (a file path) default-exports `(context) => context` that adds
// what cannot travel as JSON (the `fluxbase` clients: functions/context-module.ts).
import { pathToFileURL } from 'node:url';

export function handlerSupportSource(contextModule?: string): string {
  const importLine = contextModule ? `import __fluxbaseContext from ${JSON.stringify(pathToFileURL(contextModule).href)};` : 'const __fluxbaseContext = (c: unknown) => c;';
  return `${importLine}
${HANDLER_SUPPORT_SOURCE}`;
}

const HANDLER_SUPPORT_SOURCE = `const enc = new TextEncoder();
function describe(kind: string, e: unknown) {
  const err = e instanceof Error ? e : new Error(String(e));
  return { error: { kind, name: err.name, message: err.message, stack: err.stack ?? "" } };
}
const NO_HANDLER = { error: { kind: "invalid_response", name: "Error", message: "the module exports no handler (export default, handler or main, or call Deno.serve)", stack: "" } };
type Handler = (req: Request, ctx: unknown) => unknown;
let served: Handler | undefined;
// Deno.serve(handler) · Deno.serve(options, handler) · Deno.serve({ handler })
const serveStub = (a: unknown, b?: unknown) => {
  const opt = a as { handler?: Handler; fetch?: Handler } | undefined;
  served = typeof a === "function" ? a as Handler : typeof b === "function" ? b as Handler : opt?.handler ?? opt?.fetch;
  return { finished: new Promise<void>(() => {}), shutdown: () => Promise.resolve(), ref() {}, unref() {}, addr: { transport: "tcp", hostname: "0.0.0.0", port: 0 } };
};
Object.defineProperty(Deno, "serve", { value: serveStub, configurable: true, writable: true });
// export default function · export default { fetch } · export handler · export main · Deno.serve
function pickHandler(mod: Record<string, unknown>, meta?: { context?: { job?: unknown } }): Handler | undefined {
  // deno-lint-ignore no-explicit-any
  const d = mod.default as any;
  const h: Handler | undefined = typeof d === "function" ? d
    : d !== null && typeof d === "object" && typeof d.fetch === "function" ? d.fetch.bind(d)
    : typeof mod.handler === "function" ? mod.handler as Handler
    : typeof mod.main === "function" ? mod.main as Handler
    : served;
  return h !== undefined && meta?.context?.job !== undefined ? jobForm(h, h === mod.main && typeof d !== "function") : h;
}
// Job code (docs/jobs.md "Writing a job") also takes the upstream SDK's forms: handler(req,
// fluxbase, fluxbaseService, job) and main(payload, ctx, fluxbaseService, job). The second
// argument is the context, which also answers the SDK client's methods (ctx.from(...) is
// ctx.fluxbase.from(...)), so both (req, ctx) and (req, fluxbase, ...) handlers work.
function jobForm(h: Handler, takesPayload: boolean): Handler {
  // deno-lint-ignore no-explicit-any
  return (req: Request, ctx: any) => {
    const second = new Proxy(ctx, {
      get(t, k) {
        if (k in t) return t[k];
        const client = t.fluxbase;
        const v = client?.[k];
        return typeof v === "function" ? v.bind(client) : v;
      },
    });
    // deno-lint-ignore no-explicit-any
    return (h as any)(takesPayload ? ctx.payload : req, second, ctx.fluxbaseService, ctx.job);
  };
}
// A job's helpers (the server sends context.job): progress travels as a marked line on stderr,
// read by the job worker; the cancelled flag is set by the prelude when the server writes to
// stdin (bootstrap-source.ts).
const PROGRESS_MARK = "\\u001efluxbase:progress ";
// deno-lint-ignore no-explicit-any
function withJob(ctx: any): any {
  const info = ctx.job;
  // deno-lint-ignore no-explicit-any
  const isCancelled = () => (globalThis as any)[Symbol.for("fluxbase.cancelled")] === true;
  const reportProgress = (percent: unknown, message?: unknown, data?: unknown) => {
    if (typeof percent !== "number" || !Number.isFinite(percent) || percent < 0 || percent > 100) {
      throw new RangeError("reportProgress: percent must be a number from 0 to 100, got " + String(percent));
    }
    const line = JSON.stringify({ percent, message: message === undefined ? null : String(message), data: data === undefined ? null : data });
    Deno.stderr.writeSync(enc.encode(PROGRESS_MARK + line + "\\n"));
  };
  const jobContext = () => ({ job_id: info.id, job_name: info.name, namespace: info.namespace, retry_count: info.retry_count, payload: ctx.payload, user: ctx.user ?? null });
  ctx.job = { ...info, reportProgress, isCancelled, checkCancellation: async () => isCancelled(), getJobContext: jobContext, getJobPayload: () => ctx.payload };
  return Object.assign(ctx, { reportProgress, isCancelled });
}
// A body is bytes read whole, or a stream fed as the client sends it (server and worker stream bodies over 64 KB or of unknown length).
function buildRequest(meta: { method: string; url: string; headers: Record<string, string> }, body: Uint8Array | ReadableStream<Uint8Array>): Request {
  const init: RequestInit = { method: meta.method, headers: meta.headers };
  const some = body instanceof ReadableStream || body.length > 0;
  if (some && meta.method !== "GET" && meta.method !== "HEAD") init.body = body;
  return new Request(meta.url, init);
}
// A Response as is; any other value as 200 application/json (undefined as null).
async function toFrame(value: unknown): Promise<{ head: unknown; body?: Uint8Array }> {
  if (value instanceof Response) {
    const body = new Uint8Array(await value.arrayBuffer());
    return { head: { status: value.status, headers: [...value.headers] }, body };
  }
  let text: string | undefined;
  try { text = JSON.stringify(value === undefined ? null : value); } catch (e) { return { head: describe("invalid_response", e) }; }
  return { head: { status: 200, headers: [["content-type", "application/json"]] }, body: enc.encode(text) };
}
// The handler's context: the JSON the server sent, plus what the context module adds.
function contextFor(meta: { context?: unknown }): unknown {
  const ctx = __fluxbaseContext((meta.context ?? {}) as Record<string, unknown>) as Record<string, unknown>;
  return ctx.job !== undefined && ctx.job !== null ? withJob(ctx) : ctx;
}
// Deno ends a process whose event loop is empty even while a promise is pending; a handler
// whose promise never settles must run into the timeout (FUNCTION_TIMEOUT) instead. A timer
// keeps the loop alive, unless the caller has a pending read that does (the cold bootstrap:
// the first timer costs ~5 ms of start-up).
async function runHandler(h: Handler, req: Request, ctx: unknown, keepAlive = true): Promise<unknown> {
  const timer = keepAlive ? setInterval(() => {}, 1_000_000) : undefined;
  try {
    return await h(req, ctx);
  } finally {
    if (timer !== undefined) clearInterval(timer);
  }
}
`;
