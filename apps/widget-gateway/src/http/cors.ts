/**
 * Whether a browser origin may call the gateway: the origins configured
 * (`CORS_ORIGINS`), exact (`https://widget.dialer.example`) or a wildcard over
 * subdomains (`https://*.crm.dynamics.com`, which does not match the bare domain).
 */
export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  const o = origin.toLowerCase();
  return allowed.some((pattern) => {
    const p = pattern.toLowerCase();
    const star = p.indexOf('://*.');
    if (star < 0) return o === p;
    const scheme = p.slice(0, star + 3);
    const suffix = p.slice(star + 4);
    if (!o.startsWith(scheme)) return false;
    const host = o.slice(scheme.length);
    return host.endsWith(suffix) && host.length > suffix.length && !host.slice(0, host.length - suffix.length).includes('/');
  });
}
