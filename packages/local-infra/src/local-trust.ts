import tls from 'node:tls';

const trusted = new Set<string>();
let installed = false;
/** Built once (parsing the public roots costs milliseconds), rebuilt when a CA is added. */
let context: tls.SecureContext | undefined;

/**
 * Makes every TLS client of this test process that names no CA of its own (fetch, `ws`,
 * node:https) trust `ca` besides the public roots — what NODE_EXTRA_CA_CERTS does for a shell,
 * which Node 20 reads only at process start, before the harness has created the local CA.
 * Clients that pass `ca` (the gateway's mutual-TLS clients) are left exactly as they are, and no
 * client gets a certificate from this: a subgraph still refuses them.
 */
export function trustCaInThisProcess(ca: string): void {
  if (!trusted.has(ca)) context = undefined;
  trusted.add(ca);
  if (installed) return;
  installed = true;
  const original = tls.connect;
  const patched = function connect(this: unknown, ...args: unknown[]) {
    const [first] = args;
    const options = first as tls.ConnectionOptions | null;
    if (typeof options === 'object' && options !== null && options.ca === undefined && options.secureContext === undefined) {
      if (options.cert === undefined && options.key === undefined && options.pfx === undefined) {
        context ??= tls.createSecureContext({ ca: [...tls.rootCertificates, ...trusted] });
        args[0] = { ...options, secureContext: context };
      } else {
        // A client certificate of its own: its context is built from its options, with the CA added.
        args[0] = { ...options, ca: [...tls.rootCertificates, ...trusted] };
      }
    }
    return (original as (...a: unknown[]) => tls.TLSSocket).apply(this, args);
  };
  (tls as { connect: typeof tls.connect }).connect = patched as typeof tls.connect;
}
