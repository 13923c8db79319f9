// Session persistence adapters: an in-memory store (Node, SSR, tests, persistSession off)
// and one over the browser's localStorage, plus the default pick. Any object with
// getItem/setItem/removeItem (sync or async) works as well.
import type { SupportedStorage } from './types.ts';

/** A store that lives as long as the object: nothing survives a reload. */
export function memoryStorage(): SupportedStorage {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => { items.set(key, value); },
    removeItem: (key) => { items.delete(key); },
  };
}

interface WebStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The browser's localStorage; `undefined` when it is absent or refuses writes (private mode, sandboxed frames). */
export function localStorageAdapter(): SupportedStorage | undefined {
  const store = usableLocalStorage();
  if (store === undefined) return undefined;
  return {
    getItem: (key) => store.getItem(key),
    setItem: (key, value) => store.setItem(key, value),
    removeItem: (key) => store.removeItem(key),
  };
}

/** localStorage when usable, else a fresh memory store. */
export function defaultStorage(): SupportedStorage {
  return localStorageAdapter() ?? memoryStorage();
}

function usableLocalStorage(): WebStorage | undefined {
  try {
    // Reading the global itself may throw (blocked third-party storage).
    const store = (globalThis as { localStorage?: WebStorage }).localStorage;
    if (store === undefined || store === null || typeof store.getItem !== 'function') return undefined;
    const probe = '__fluxbase_storage_probe__';
    store.setItem(probe, probe);
    store.removeItem(probe);
    return store;
  } catch {
    return undefined;
  }
}
