import { readFileSync } from 'node:fs';

/** Whether something is bound to this UDP port on 127.0.0.1 (from /proc/net/udp): lets a test wait until a sipp UAS listens. */
export function udpPortBound(port: number): boolean {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .some((line) => line.trim().split(/\s+/)[1] === local);
}
