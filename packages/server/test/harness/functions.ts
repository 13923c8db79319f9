// What the runtime tests (functions-runtime, functions-warm) share: an InvokeInput with no
// permissions and generous limits, and the FunctionRuntimeError a call must fail with.
import { expect } from 'vitest';
import { FunctionRuntimeError, type InvokeInput } from '../../src/functions/runtime/types.ts';

export const MiB = 1024 * 1024;

/** A GET of `url` with no permissions, 128 MB, 10 s and `maxOutputBytes` per stream; `over` replaces fields. */
export function invokeInput<T extends Partial<InvokeInput>>(code: string, defaults: { url: string; maxOutputBytes: number }, over: T): InvokeInput & T {
  return {
    code,
    request: { method: 'GET', url: defaults.url, headers: {} },
    env: {},
    permissions: { net: false, env: [], read: false, write: false },
    limits: { memoryMb: 128, timeoutMs: 10_000, maxOutputBytes: defaults.maxOutputBytes },
    ...over,
  };
}

/** The error `p` rejects with; fails the test when it resolves or throws anything else. */
export async function failure(p: Promise<unknown>): Promise<FunctionRuntimeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(FunctionRuntimeError);
    return err as FunctionRuntimeError;
  }
  throw new Error('expected the invocation to fail');
}
