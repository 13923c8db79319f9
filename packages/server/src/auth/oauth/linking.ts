// Which user a provider account signs in (docs/auth.md "5. The sign-in flow"): the user
// already linked by (provider, subject); else, when linking, the signed-in user; else the
// user with the same email when both the provider and Fluxbase consider that email
// verified; else a new user. No connection is held across steps: each step is one atomic
// statement, and a lost race (another callback linked or created first) is resolved by
// reading the winner.
import { AppError } from '../../http/index.ts';
import type { UserRow } from '../core/types.ts';
import type { AuthDeps } from '../deps.ts';
import { authQuery } from '../core/db.ts';
import type { IdentityStore } from './identity-store.ts';
import { newUserMetadata, type Profile } from './profile.ts';
import type { TokenSet } from './provider-http.ts';

export interface LinkOutcome {
  user: UserRow;
  identityId: string;
  isNewUser: boolean;
}

export interface LinkRequest {
  provider: string;
  profile: Profile;
  tokens: TokenSet | undefined;
  /** The signed-in user adding this identity (POST /user/identities). */
  linkUserId: string | undefined;
}

const isCode = (err: unknown, code: string) => err instanceof AppError && err.code === code;

export class IdentityLinker {
  constructor(private readonly deps: AuthDeps, private readonly identities: IdentityStore) {}

  async resolve(req: LinkRequest): Promise<LinkOutcome> {
    // A concurrent sign-in of the same account may create the user or the identity between
    // our read and our write; the next round then finds what it made.
    for (let round = 0; ; round++) {
      try {
        return await this.attempt(req, round);
      } catch (err) {
        if (!(err instanceof LostRace)) throw err;
        if (round >= 2) throw new AppError('TRANSACTION_CONFLICT', { message: 'The account changed during sign-in; try again' });
      }
    }
  }

  private async attempt(req: LinkRequest, round: number): Promise<LinkOutcome> {
    const { provider, profile, tokens, linkUserId } = req;
    const existing = await this.identities.findBySubject(provider, profile.subject);
    if (existing) {
      if (linkUserId !== undefined && existing.user_id !== linkUserId) {
        throw new AppError('CONFLICT', {
          message: `This ${provider} account is already linked to another user`,
          details: { reason: 'identity_linked_to_another_user', provider },
        });
      }
      await this.identities.recordSignIn(existing.id, profile, tokens);
      return { user: await this.user(existing.user_id), identityId: existing.id, isNewUser: false };
    }
    if (linkUserId !== undefined) return this.link(await this.user(linkUserId), req);
    if (profile.email !== null && profile.emailVerified) {
      const byEmail = await this.deps.core.users.findByEmail(profile.email);
      if (byEmail) {
        if (!byEmail.email_verified) {
          // Otherwise whoever registered the address first (without proving it) would own
          // the provider account's sign-ins: the owner must verify or sign in and link.
          throw new AppError('ALREADY_EXISTS', {
            message: 'An account with this email exists but its email is not verified: sign in to it and link this provider, or verify the email first',
            details: { reason: 'email_not_verified', provider },
          });
        }
        return this.link(byEmail, req);
      }
    }
    return this.createAndLink(req, round);
  }

  private async createAndLink(req: LinkRequest, round: number): Promise<LinkOutcome> {
    if (!this.deps.config.auth.signup_enabled) throw new AppError('SIGNUP_DISABLED', { message: 'Signups are disabled' });
    let user: UserRow;
    try {
      user = await this.deps.core.users.create({
        email: req.profile.email,
        // An address the provider does not vouch for is kept but not marked verified.
        emailVerified: req.profile.email !== null && req.profile.emailVerified,
        userMetadata: newUserMetadata(req.profile, req.provider),
      });
    } catch (err) {
      if (!isCode(err, 'ALREADY_EXISTS')) throw err;
      // First time: maybe a concurrent first sign-in of this same account; look again.
      if (round === 0) throw new LostRace();
      throw new AppError('ALREADY_EXISTS', {
        message: `An account with this email already exists; sign in to it and link ${req.provider} from the account`,
        details: { reason: 'email_taken', provider: req.provider },
      });
    }
    const row = await this.identities.insert(user.id, req.provider, req.profile, req.tokens);
    if (row) return { user, identityId: row.id, isNewUser: true };
    // A concurrent sign-in linked the account first, possibly to this very user (found by
    // its verified email); otherwise the user we made is unused: drop it.
    const winner = await this.identities.findBySubject(req.provider, req.profile.subject);
    if (winner?.user_id === user.id) return { user, identityId: winner.id, isNewUser: true };
    await authQuery(this.deps.db.pool, (sql) => sql`
      delete from auth.users u where u.id = ${user.id}
        and not exists (select 1 from auth.identities i where i.user_id = u.id)`);
    throw new LostRace();
  }

  private async link(user: UserRow, req: LinkRequest): Promise<LinkOutcome> {
    const row = await this.identities.insert(user.id, req.provider, req.profile, req.tokens);
    if (!row) throw new LostRace();
    return { user, identityId: row.id, isNewUser: false };
  }

  private async user(id: string): Promise<UserRow> {
    const user = await this.deps.core.users.findById(id);
    if (!user) throw new LostRace();
    return user;
  }
}

class LostRace extends Error {
  constructor() {
    super('lost a race with a concurrent sign-in');
  }
}
