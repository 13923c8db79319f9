// The emails auth sends, each as plain text plus a simple HTML version built from the same
// blocks (paragraphs, a link button, a code), so the two never say different things.
import type { MailMessage } from '../deps.ts';

type Block = { kind: 'p'; text: string } | { kind: 'link'; href: string; label: string } | { kind: 'code'; code: string };

const p = (text: string): Block => ({ kind: 'p', text });
const IGNORE = p('If you did not ask for this, you can ignore this email.');

/** "10 minutes", "1 hour", "24 hours", "90 seconds". */
export function describeDuration(ms: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (ms % 3_600_000 === 0) return unit(ms / 3_600_000, 'hour');
  if (ms % 60_000 === 0) return unit(ms / 60_000, 'minute');
  return unit(Math.max(1, Math.round(ms / 1000)), 'second');
}

export function magicLinkMessage(to: string, link: string, code: string, ttlMs: number): MailMessage {
  return render(to, 'Your sign-in link', [
    p('Use this link to sign in:'),
    { kind: 'link', href: link, label: 'Sign in' },
    p('Or enter this code:'),
    { kind: 'code', code },
    p(`The link and the code work once and expire in ${describeDuration(ttlMs)}.`),
    IGNORE,
  ]);
}

export function emailOtpMessage(to: string, code: string, ttlMs: number): MailMessage {
  return render(to, `Your sign-in code: ${code}`, [
    p('Enter this code to sign in:'),
    { kind: 'code', code },
    p(`It works once and expires in ${describeDuration(ttlMs)}.`),
    IGNORE,
  ]);
}

export function passwordResetMessage(to: string, link: string, ttlMs: number): MailMessage {
  return render(to, 'Reset your password', [
    p('Someone asked to reset the password of your account. Use this link to choose a new one:'),
    { kind: 'link', href: link, label: 'Reset password' },
    p(`The link works once and expires in ${describeDuration(ttlMs)}.`),
    IGNORE,
  ]);
}

export function verificationMessage(to: string, link: string, ttlMs: number): MailMessage {
  return render(to, 'Confirm your email address', [
    p('Confirm your email address with this link:'),
    { kind: 'link', href: link, label: 'Confirm email' },
    p(`The link works once and expires in ${describeDuration(ttlMs)}.`),
    IGNORE,
  ]);
}

export function reauthenticationMessage(to: string, code: string, ttlMs: number): MailMessage {
  return render(to, `Your confirmation code: ${code}`, [
    p('Enter this code to confirm a sensitive change to your account:'),
    { kind: 'code', code },
    p(`It works once and expires in ${describeDuration(ttlMs)}.`),
    p('If you did not ask for this, someone may be using your account: change your password.'),
  ]);
}

export function emailChangeMessage(to: string, link: string, ttlMs: number): MailMessage {
  return render(to, 'Confirm your new email address', [
    p('Someone asked to use this address for their account. Confirm the change with this link:'),
    { kind: 'link', href: link, label: 'Confirm new email' },
    p(`The link works once and expires in ${describeDuration(ttlMs)}.`),
    IGNORE,
  ]);
}

export function existingSignupMessage(to: string, siteUrl: string): MailMessage {
  return render(to, 'Someone tried to sign up with your email', [
    p('Someone tried to create an account with this email address, but you already have one.'),
    p('If it was you, sign in instead, or reset your password if you forgot it:'),
    { kind: 'link', href: siteUrl, label: 'Go to the application' },
    p('If it was not you, you can ignore this email: nothing changed on your account.'),
  ]);
}

export function emailTakenMessage(to: string, siteUrl: string): MailMessage {
  return render(to, 'Someone tried to move their account to your email', [
    p('Someone signed in to another account asked to change its email address to this one, which already belongs to your account.'),
    p('Nothing changed: an address can belong to one account only. If it was you, sign in to this account instead:'),
    { kind: 'link', href: siteUrl, label: 'Go to the application' },
    p('If it was not you, you can ignore this email.'),
  ]);
}

function render(to: string, subject: string, blocks: Block[]): MailMessage {
  const text = blocks.map((b) => (b.kind === 'p' ? b.text : b.kind === 'link' ? b.href : b.code)).join('\n\n');
  const html = blocks.map(htmlBlock).join('\n');
  return {
    to, subject, text: `${text}\n`,
    html: `<!doctype html>\n<html><body style="font-family: sans-serif; line-height: 1.5">\n${html}\n</body></html>\n`,
  };
}

function htmlBlock(b: Block): string {
  switch (b.kind) {
    case 'p': return `<p>${escapeHtml(b.text)}</p>`;
    case 'link': return `<p><a href="${escapeHtml(b.href)}">${escapeHtml(b.label)}</a></p>`;
    case 'code': return `<p style="font-size: 24px; letter-spacing: 4px"><strong>${escapeHtml(b.code)}</strong></p>`;
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
