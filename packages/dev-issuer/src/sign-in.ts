// The dev issuer's sign-in page (development only): a browser client (the web console) sends the
// user here during the authorization code flow. A "user" is a client the issuer already knows
// (a demo user of `npm start`, or a client a test registered): its id is the user name, its secret
// the password, and its `tenant`/`roles` metadata become the claims of the user's access tokens.
// Keycloak or any other real IdP replaces all of this in a deployment.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as Oidc from 'oidc-provider';

const interactionPath = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/;
const maxFormBytes = 8 * 1024;

/** The account a user name and password stand for, or undefined when they do not match a user. */
export async function findUser(provider: Oidc.Provider, userName: string, password: string): Promise<string | undefined> {
  if (!userName || !password) return undefined;
  const client = await provider.Client.find(userName).catch(() => undefined);
  const metadata = client?.metadata();
  // Only user-like clients (a secret and a roles claim) can sign in; a browser client cannot.
  const secret = typeof metadata?.client_secret === 'string' ? metadata.client_secret : undefined;
  if (!secret || !Array.isArray(metadata?.roles)) return undefined;
  const given = Buffer.from(password);
  const expected = Buffer.from(secret);
  return given.length === expected.length && timingSafeEqual(given, expected) ? userName : undefined;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function page(uid: string, clientId: string, error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in — Tessera dev issuer</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1a1d21;display:grid;place-items:center;min-height:100vh;margin:0}
main{background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002;width:min(24rem,90vw)}
label{display:block;margin-top:1rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;border:1px solid #6b7280;border-radius:4px;font-size:1rem}
button{margin-top:1.5rem;width:100%;padding:.6rem;background:#1d4ed8;color:#fff;border:0;border-radius:4px;font-size:1rem;cursor:pointer}
button:focus-visible,input:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.note{font-size:.85rem;color:#4b5563}.error{color:#b91c1c;font-weight:600}
</style></head><body><main>
<h1>Sign in to Tessera</h1>
<p class="note">Development issuer: for local runs only. The user name is a demo user (e.g. <code>acme-admin</code>), the password its client secret (<code>.tessera/secrets.json</code>, <code>clientSecrets</code>).</p>
<p class="note">Signing in to <strong>${escapeHtml(clientId)}</strong>.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label for="username">User name</label><input id="username" name="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form></main></body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxFormBytes) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Serves GET /interaction/:uid (the form) and POST /interaction/:uid/login; returns false for any
 * other request, which the provider then handles.
 */
export async function handleSignIn(provider: Oidc.Provider, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const match = interactionPath.exec((req.url ?? '').split('?')[0] ?? '');
  if (!match) return false;
  const send = (status: number, html: string) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY' }).end(html);
  };
  let details: Awaited<ReturnType<Oidc.Provider['interactionDetails']>>;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    send(400, '<!doctype html><title>Sign-in expired</title><p>This sign-in has expired. Go back to the application and sign in again.</p>');
    return true;
  }
  const uid = match[1]!;
  const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : 'an application';
  if (req.method === 'GET' && !match[2]) {
    send(200, page(uid, clientId));
    return true;
  }
  if (req.method !== 'POST' || !match[2] || details.uid !== uid) {
    send(405, '<!doctype html><title>Not allowed</title><p>Not allowed.</p>');
    return true;
  }
  const form = await readForm(req);
  const accountId = await findUser(provider, form.get('username') ?? '', form.get('password') ?? '');
  if (!accountId) {
    send(401, page(uid, clientId, 'Unknown user name or wrong password.'));
    return true;
  }
  await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  return true;
}
