/**
 * Where the console goes back to after signing in: a path of this origin, or `/`. The path came
 * from the address bar before the redirect, so a link like `https://console//evil.example/x` would
 * otherwise be handed to history.replaceState as another origin (which throws and breaks the page).
 */
export function safeReturnPath(path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) return '/';
  return path;
}

/**
 * What the page says when the issuer refused a sign-in: a fixed sentence per OAuth error code. The
 * issuer's `error_description` is not shown: anyone can put text in a /callback link.
 */
export function signInRefusal(error: unknown): string {
  switch (error) {
    case 'access_denied':
      return 'Sign-in was refused or cancelled.';
    case 'login_required':
    case 'interaction_required':
    case 'consent_required':
      return 'The identity provider needs you to sign in again.';
    case 'temporarily_unavailable':
    case 'server_error':
      return 'The identity provider could not complete the sign-in; try again shortly.';
    default:
      return 'Sign-in could not be completed.';
  }
}
