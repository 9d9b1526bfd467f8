/**
 * What the daemon's bundle (Makefile, BUNDLE_FLAGS) gives node-soap in place of `axios` and `axios-ntlm`.
 * node-soap's http module loads both at its top, but uses them only to build its own HTTP client, and the
 * Register client always passes ours (http-client.ts, over libcurl): loading them cost a field unit
 * ~5 MiB of memory for code that never runs (bench/README.md, "Where memory goes"). Should a future
 * node-soap reach for them anyway, the call fails loudly here instead of sending a report another way.
 */
function absent(what: string): never {
  throw new Error(`node-soap asked for ${what}, which the daemon does not carry: pass options.httpClient (services/reports/http-client.ts)`);
}

/** axios.create (node-soap's HttpClient constructor). */
export function create(): never {
  return absent('axios');
}

/** axios-ntlm's client (node-soap's NTLM option). */
export function NtlmClient(): never {
  return absent('axios-ntlm');
}

export default { create };
