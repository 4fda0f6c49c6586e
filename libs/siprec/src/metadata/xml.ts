/**
 * XML 1.0 escaping for values we write (display names, AORs, ids come from
 * SIP headers: anything can be in them). Characters XML 1.0 cannot carry at
 * all (controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) are
 * dropped; in attributes tab/LF/CR become character references so attribute
 * value normalisation keeps them.
 */
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function stripNonXmlChars(value: string): string {
  return value.replace(NOT_XML_CHAR, '');
}

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const ATTR_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };

export function xmlText(value: string): string {
  return stripNonXmlChars(value).replace(/[&<>]/g, (c) => TEXT_ESCAPES[c] ?? c);
}

export function xmlAttr(value: string): string {
  return stripNonXmlChars(value).replace(/[&<>"'\t\n\r]/g, (c) => ATTR_ESCAPES[c] ?? c);
}

/**
 * Makes a string usable as xs:anyURI: percent-encodes (UTF-8) every character
 * outside RFC 3986's unreserved characters, sub-delims, `:`, `/`, `?` and `@`
 * (so `[`, `]` and `#` too), `%` not followed by two hex digits, and every
 * `:` when the value does not start with a scheme. `sip:+1 555@x` → `sip:+1%20555@x`.
 */
export function toUriReference(value: string): string {
  const chars = [...stripNonXmlChars(value)];
  const hasScheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(value);
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? '';
    if (/^[A-Za-z0-9\-._~!$&'()*+,;=/?@]$/.test(c) || (c === ':' && hasScheme)) out += c;
    else if (c === '%' && /^[0-9A-Fa-f]{2}$/.test((chars[i + 1] ?? '') + (chars[i + 2] ?? ''))) out += c;
    else out += [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}
