// Type-level tests of client.auth, checked by `npm run typecheck` (never run): results
// narrow on `error`, a sign-in narrows on `mfa` to either a session or the challenge, and
// the storage adapter accepts sync and async stores.
import { createClient, type AuthChangeEvent, type MfaRequired, type Session, type SupportedStorage, type User } from '../src/index.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Expect<T extends true> = T;

export async function signInNarrowing(): Promise<void> {
  const client = createClient('http://localhost:8080', 'key');
  const res = await client.auth.signInWithPassword({ email: 'a@x.io', password: 'p' });
  if (res.error === null) {
    if (res.data.mfa) {
      type _TMfa = Expect<Equal<typeof res.data.mfa, MfaRequired>>;
      type _TNoSession = Expect<Equal<typeof res.data.session, null>>;
    } else {
      type _TSession = Expect<Equal<typeof res.data.session, Session>>;
      type _TUser = Expect<Equal<typeof res.data.user, User>>;
    }
  } else {
    type _TFailed = Expect<Equal<typeof res.data, null>>;
  }

  const _session = await client.auth.getSession();
  type _TGetSession = Expect<Equal<typeof _session.data, { session: Session | null } | null>>;

  client.auth.onAuthStateChange((_event, _s) => {
    type _TEvent = Expect<Equal<typeof _event, AuthChangeEvent>>;
    type _TS = Expect<Equal<typeof _s, Session | null>>;
  });

  // @ts-expect-error an unknown scope is refused
  await client.auth.signOut({ scope: 'everyone' });
  // @ts-expect-error unenroll needs a password or a code
  await client.auth.mfa.unenroll({});
}

export function storageAdapters(): void {
  const sync: SupportedStorage = { getItem: () => null, setItem: () => undefined, removeItem: () => undefined };
  const asyncStore: SupportedStorage = { getItem: async () => null, setItem: async () => undefined, removeItem: async () => undefined };
  createClient('http://localhost:8080', 'key', { auth: { storage: sync, persistSession: true, storageKey: 'k', autoRefreshToken: false, refreshMarginSeconds: 30 } });
  createClient('http://localhost:8080', 'key', { auth: { storage: asyncStore } });
}
