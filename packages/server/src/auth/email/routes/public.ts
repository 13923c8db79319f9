// Route option of the email routes that anyone may call: with auth.require_api_key they
// stay reachable without a key (docs/getting-started.md "Keys": auth routes that create
// sessions or send mail).
export const PUBLIC = { config: { allowWithoutKey: true } };
