import type { SipResponse } from '../message/types';
import { isSyntheticResponse } from '../transaction/synthetic';

/**
 * What the A leg hears when the B leg fails. A B2BUA is a UA on each side, so a
 * failure of B must not read as a statement about us or be actionable by A
 * in a way that cannot work:
 * - no answer at all (timeout) → 408; B unreachable (transport error) → 502;
 * - 503 from B → 500 (a 503 to A would say *we* are overloaded, cf. RFC 3261 §16.7 step 6);
 * - 401/407 → 403: B challenged *us*; A's credentials mean nothing to B;
 * - 3xx → 480: the B leg's redirect targets are not A's to follow;
 * - everything else (4xx, 5xx, 6xx, 487) as it came.
 */
export function mapFailureStatus(res: SipResponse): number {
  if (isSyntheticResponse(res)) return res.status === 503 ? 502 : res.status;
  const s = res.status;
  if (s === 503) return 500;
  if (s === 401 || s === 407) return 403;
  if (s >= 300 && s < 400) return 480;
  return s;
}

/** RFC 3326 Reason telling A what B said. */
export function reasonFor(res: SipResponse): string {
  const text = res.reason.replace(/["\\]/g, '');
  return `SIP;cause=${res.status};text="${text}"`;
}
