// The engine's vocabulary, independent of any wire protocol (docs/realtime.md "Design"):
// the Fluxbase frames at /realtime are one adapter over it, Supabase's Phoenix channels could
// be another, and GraphQL subscriptions a third.
import type { DbRole } from '../../db/index.ts';

export type ChangeType = 'INSERT' | 'UPDATE' | 'DELETE';
export type Row = Record<string, unknown>;

/** One captured row change, as the capture trigger sent it (full rows, nothing excluded yet). */
export interface Change {
  schema: string;
  table: string;
  type: ChangeType;
  commit_timestamp: string;
  /** null on DELETE. */
  record: Row | null;
  /** Absent on INSERT. */
  old_record?: Row;
  /** performance.now() when the notification arrived (latency metrics). */
  receivedAt: number;
}

/** Who a connection acts as: the role and claims its RLS checks run with. */
export interface Identity {
  role: DbRole;
  /** The claims as the request GUC `request.jwt.claims` carries them (role = the DB role). */
  claimsJson: string;
  /** A short stable key of (role, claims) for caches and grouping. */
  claimsKey: string;
  sub: string;
  userId: string | null;
  /** Stored service key id, when the credential was one. */
  keyId?: string | undefined;
  email?: string | undefined;
  isAdmin: boolean;
  /** Token expiry (seconds since the epoch); undefined for credentials that do not expire. */
  expiresAt?: number | undefined;
}

/** What the engine renders to a connection; the protocol adapter turns these into frames. */
export type Outgoing =
  | { kind: 'change'; change: Change; payload: () => string; channel: string; subscriptionIds: string[] }
  | { kind: 'broadcast'; channel: string; event: string; payload: unknown; self: boolean }
  | { kind: 'presence'; channel: string; presence: PresenceDiff }
  | { kind: 'system'; event: 'listener_reconnected' | 'changes_dropped' | 'shutdown'; message: string; since?: string }
  /** The credential stopped being valid (expired, or its session revoked): its subscriptions ended. */
  | { kind: 'expired'; code: 'EXPIRED_TOKEN' | 'TOKEN_REVOKED'; subscriptionIds: string[] }
  | { kind: 'raw'; text: string };

export interface PresenceDiff {
  event: 'join' | 'leave' | 'sync';
  key?: string;
  newPresences?: unknown[];
  leftPresences?: unknown[];
  currentPresences: Record<string, unknown[]>;
}

/** The protocol adapter's side of a connection. */
export interface Transport {
  /** Render one outgoing message (once per connection; payload() is shared across them). */
  render(message: Outgoing): string;
  /** Hand frames to the socket, all in one write. */
  write(texts: string[]): void;
  /** Bytes the socket holds that have not left the process yet. */
  buffered(): number;
  /** Register the callback for when the socket drained its buffer. */
  onDrain?(callback: () => void): void;
  close(code: number, reason: string): void;
  /** Stop and restart reading client frames (backpressure for answers, connection.ts reply()). */
  pause?(): void;
  resume?(): void;
}
