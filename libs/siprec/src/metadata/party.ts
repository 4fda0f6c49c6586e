import { stripNonXmlChars } from './xml';

/** One side of the call as the metadata shows it. */
export interface MetadataParty {
  /** Address of record: the SIP or tel URI of From/To/P-Asserted-Identity (or a bare number). */
  aor?: string;
  /** The display name from the SIP header, unquoted; empty or absent when the header has none. */
  displayName?: string;
  /** The phone number, when known apart from the AOR (E.164 or as dialled). */
  number?: string;
}

/** Display names longer than this are cut (a SIP header can be long; CI shows a name). */
export const DISPLAY_NAME_MAX = 256;

/** What a display name falls back to when the party has no name, number or AOR at all. */
export const UNKNOWN_PARTY = 'unknown';

/**
 * The user part of a `sip:`/`sips:`/`tel:` URI (`sip:+14155550100@carrier.example;user=phone`
 * → `+14155550100`, `tel:+442071234567;ext=1` → `+442071234567`); a value that
 * is not such a URI is returned trimmed, without surrounding `<>`.
 */
export function userPartOf(aor: string): string {
  const v = aor.trim().replace(/^<(.*)>$/, '$1').trim();
  const m = /^(sips?|tel):(.*)$/i.exec(v);
  if (!m) return v;
  const rest = m[2] ?? '';
  if ((m[1] ?? '').toLowerCase() === 'tel') return (rest.split(';')[0] ?? '').trim();
  const at = rest.lastIndexOf('@');
  if (at < 0) return '';
  return (rest.slice(0, at).split(/[;:]/)[0] ?? '').trim();
}

/**
 * CallerDisplayName / CalleeDisplayName (seed: "If not available, phone number
 * is displayed"): the display name; else the number; else the AOR's user part;
 * else the whole AOR; else `unknown` (CI requires a non-empty value). Control
 * characters become spaces, runs of white space one space, at most
 * DISPLAY_NAME_MAX characters.
 */
export function displayNameOf(p: MetadataParty): string {
  const tidy = (s: string | undefined) =>
    [...stripNonXmlChars(s ?? '').replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ').replace(/\s+/g, ' ').trim()].slice(0, DISPLAY_NAME_MAX).join('').trim();
  const aor = p.aor ?? '';
  return tidy(p.displayName) || tidy(p.number) || tidy(userPartOf(aor)) || tidy(aor) || UNKNOWN_PARTY;
}
