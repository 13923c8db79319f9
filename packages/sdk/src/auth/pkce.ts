// PKCE (RFC 7636) helpers on Web Crypto only (`globalThis.crypto`), so they run in
// browsers, Deno, Bun and Node 20+: a random verifier and its S256 challenge. The SDK
// keeps one per OAuth flow in storage (see oauth.ts); apps with their own OAuth clients
// may use them directly.

// The slice of Web Crypto used here, spelled out so the file type-checks with and without the DOM lib.
interface WebCrypto {
  getRandomValues(array: Uint8Array): Uint8Array;
  subtle?: { digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer> };
}

function webCrypto(): WebCrypto {
  const c = (globalThis as { crypto?: WebCrypto }).crypto;
  if (c === undefined || typeof c.getRandomValues !== 'function') {
    throw new Error('PKCE needs Web Crypto (globalThis.crypto); use Node 20+ or a browser');
  }
  return c;
}

/** Unpadded base64url, as RFC 7636 asks for both verifier and challenge. */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** `bytes` random bytes as base64url (32 bytes → 43 characters, within RFC 7636's 43–128). */
export function randomString(bytes = 32): string {
  const buf = new Uint8Array(bytes);
  webCrypto().getRandomValues(buf);
  return base64url(buf);
}

/** A fresh code verifier: 43 characters of the unreserved alphabet. */
export function generateCodeVerifier(): string {
  return randomString(32);
}

/** `BASE64URL(SHA-256(ASCII(verifier)))`, the `S256` code challenge. */
export async function codeChallengeS256(verifier: string): Promise<string> {
  const subtle = webCrypto().subtle;
  if (subtle === undefined) throw new Error('PKCE S256 needs crypto.subtle (a secure context in browsers)');
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** A verifier with its challenge, ready for an authorization request. */
export async function createPkcePair(): Promise<{ verifier: string; challenge: string; method: 'S256' }> {
  const verifier = generateCodeVerifier();
  return { verifier, challenge: await codeChallengeS256(verifier), method: 'S256' };
}
