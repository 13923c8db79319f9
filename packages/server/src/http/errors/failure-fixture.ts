// What a function throws, for unit tests asserting on our errors: `failure` returns the
// AppError (anything else fails the test), `codeOf` just its code. Test-only: nothing in
// the server imports it.
import { AppError } from './app-error.ts';

export function failure(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

/** The code of the AppError `fn` throws; undefined when it returns, 'not an AppError' for anything else. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.code : 'not an AppError';
  }
}
