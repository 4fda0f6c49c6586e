import { createHash } from 'node:crypto';

/**
 * A folder name for a Call-ID: letters, digits, '.', '_' and '-' only, no
 * leading dot (so never '.' or '..'), at most ~110 characters. A Call-ID that
 * had to be changed gets a hash of the original appended, so two Call-IDs that
 * clean up alike (`a@b`, `a_b`) still get different folders.
 */
export function safeCallDir(callId: string): string {
  const cleaned = callId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_').slice(0, 100);
  if (cleaned === callId && cleaned.length > 0) return cleaned;
  return `${cleaned || 'call'}-${createHash('sha256').update(callId).digest('hex').slice(0, 12)}`;
}

/** Labels become file names (`<label>.wav`): the SIP side checks them, this is the last guard. */
export const SAFE_LABEL = /^[A-Za-z0-9_-]{1,64}$/;
