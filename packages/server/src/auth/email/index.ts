// Email: the mailer (SMTP through nodemailer, or the development outbox) and the flows
// that send mail: magic link, email OTP, password reset, email verification,
// reauthentication nonce and email change, with their routes. Uses the auth core for
// users and sessions; never imports another subsystem.
export { createMailer } from './mailer.ts';
export { createEmailFlows } from './flows.ts';
export { createMailRequestWorker, enqueueMailRequest, MAIL_CHANNEL, type MailRequest, type MailRequestWorker } from './mail-requests.ts';
export { registerEmailRoutes } from './routes/index.ts';
export { checkRedirect, siteUrl } from './redirects.ts';
export type { OutboxMessage } from './outbox-mailer.ts';
