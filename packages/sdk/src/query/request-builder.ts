// The thenable at the end of every `from()` chain: awaiting it sends the request once and
// resolves to `{data, error, count, status, statusText, nextCursor}`. It never rejects for
// an HTTP or network failure unless throwOnError() was called.
import type { Transport } from '../transport.ts';
import { wireRequest } from './encode.ts';
import { toQueryResponse, type QueryResponse, type QueryResponseSuccess } from './respond.ts';
import type { QueryState } from './state.ts';

export class QueryRequest<Result> implements PromiseLike<QueryResponse<Result>> {
  /** @internal shared with the builder that created this one: chained calls edit one request. */
  protected readonly state: QueryState;
  /** @internal */
  protected readonly transport: Transport;

  constructor(transport: Transport, state: QueryState) {
    this.transport = transport;
    this.state = state;
  }

  /** Cancel the request with this signal (the result's error code is then ABORTED). */
  abortSignal(signal: AbortSignal): this {
    this.state.signal = signal;
    return this;
  }

  /** Add a header to this request (it wins over the client's headers). */
  setHeader(name: string, value: string): this {
    this.state.headers[name] = value;
    return this;
  }

  /**
   * Send `Idempotency-Key` (docs/rest.md "Idempotency keys"): a write retried with the same
   * key runs once and the stored response is replayed.
   */
  idempotencyKey(key: string): this {
    return this.setHeader('Idempotency-Key', key);
  }

  /** Reject with the FluxbaseError instead of resolving to `{ error }`. */
  throwOnError(): PromiseLike<QueryResponseSuccess<Result>> {
    this.state.throwOnError = true;
    return this as PromiseLike<QueryResponse<Result>> as PromiseLike<QueryResponseSuccess<Result>>;
  }

  /** Override the type of `data` (for select strings the types cannot follow). */
  returns<NewResult>(): QueryRequest<NewResult> {
    return this as unknown as QueryRequest<NewResult>;
  }

  then<TResult1 = QueryResponse<Result>, TResult2 = never>(
    onfulfilled?: ((value: QueryResponse<Result>) => TResult1 | PromiseLike<TResult1>) | null,
    onrejected?: ((reason: unknown) => TResult2 | PromiseLike<TResult2>) | null,
  ): Promise<TResult1 | TResult2> {
    return this.execute().then(onfulfilled, onrejected);
  }

  private async execute(): Promise<QueryResponse<Result>> {
    const wire = wireRequest(this.state);
    const search = new URLSearchParams(wire.query).toString();
    const res = await this.transport<unknown>(wire.method, search === '' ? wire.path : `${wire.path}?${search}`, {
      headers: wire.headers,
      ...(wire.body === undefined ? {} : { body: wire.body }),
      ...(this.state.signal === undefined ? {} : { signal: this.state.signal }),
    });
    const response = toQueryResponse(this.state, res) as QueryResponse<Result>;
    if (response.error && this.state.throwOnError) throw response.error;
    return response;
  }
}
