/**
 * Headless Debian Chromium for integration tests (playwright-core's `chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })`):
 * it stays off the network (every host name resolves to nothing but 127.0.0.1), its
 * background services (updates, safe browsing, metrics) are off, and it runs without its
 * sandbox — the tests run as root in a container without user namespaces, where Chromium
 * refuses to start its sandbox; the pages it loads are our own, on loopback.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-sync',
  '--metrics-recording-only',
  '--no-first-run',
  '--no-default-browser-check',
  '--no-sandbox',
];
