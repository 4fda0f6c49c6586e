// SDES keys travel inside SDP (RFC 4568 §9.1: a=crypto:<tag> <suite> inline:<key||salt>[|lifetime][|MKI]).
// Anyone holding the key can decrypt the recording stream, so it never reaches a log.
const SDES_INLINE = /(a=crypto:\d+\s+\S+\s+inline:)[A-Za-z0-9+/=]+((?:\|[^\s;]*)*)/g;

/** Replaces every SDES inline key in an SDP (or a whole SIP message) with [redacted]. */
export function redactSdpKeys(text: string): string {
  return text.replace(SDES_INLINE, '$1[redacted]$2');
}

const BEARER = /(authorization:\s*(?:bearer|basic)\s+)\S+/gi;
const CLIENT_SECRET = /(client_secret=|client_assertion=)[^&\s]+/gi;

/** Redacts key material and credentials that may appear in free text (SIP, HTTP bodies). */
export function redactSecretsInText(text: string): string {
  return redactSdpKeys(text).replace(BEARER, '$1[redacted]').replace(CLIENT_SECRET, '$1[redacted]');
}
