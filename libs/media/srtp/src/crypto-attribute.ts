import { randomBytes } from 'node:crypto';
import { SrtpError } from './errors';

/**
 * SDP `a=crypto` (SDES, RFC 4568 §9.1):
 *
 *   crypto-attribute = tag 1*WSP crypto-suite 1*WSP key-params *(1*WSP session-param)
 *   key-params = key-param *(";" key-param);  key-param = "inline:" key-salt ["|" lifetime] ["|" mki]
 *   lifetime = ["2^"] 1*DIGIT;  mki = mki-value ":" mki-length (1..128)
 */

/** The suite the recorder speaks (RFC 4568 §6.2.1). */
export const AES_CM_128_HMAC_SHA1_80 = 'AES_CM_128_HMAC_SHA1_80';

/** Key and salt lengths in octets of the suites RFC 4568 §6.2, RFC 6188 and RFC 7714 register. */
const SUITE_KEY_SALT: Record<string, { key: number; salt: number; maxLifetime: number }> = {
  AES_CM_128_HMAC_SHA1_80: { key: 16, salt: 14, maxLifetime: 2 ** 48 },
  AES_CM_128_HMAC_SHA1_32: { key: 16, salt: 14, maxLifetime: 2 ** 48 },
  F8_128_HMAC_SHA1_80: { key: 16, salt: 14, maxLifetime: 2 ** 48 },
  AES_192_CM_HMAC_SHA1_80: { key: 24, salt: 14, maxLifetime: 2 ** 48 },
  AES_192_CM_HMAC_SHA1_32: { key: 24, salt: 14, maxLifetime: 2 ** 48 },
  AES_256_CM_HMAC_SHA1_80: { key: 32, salt: 14, maxLifetime: 2 ** 48 },
  AES_256_CM_HMAC_SHA1_32: { key: 32, salt: 14, maxLifetime: 2 ** 48 },
  AEAD_AES_128_GCM: { key: 16, salt: 12, maxLifetime: 2 ** 48 },
  AEAD_AES_256_GCM: { key: 32, salt: 12, maxLifetime: 2 ** 48 },
};

/** Session parameters (RFC 4568 §6.3, §6.4) this library's contexts cannot honour. */
const UNSUPPORTED_SESSION_PARAMS = ['UNENCRYPTED_SRTP', 'UNENCRYPTED_SRTCP', 'UNAUTHENTICATED_SRTP', 'FEC_ORDER', 'FEC_KEY'];

export interface CryptoKeyParam {
  method: 'inline';
  /** master key || master salt */
  keySalt: Buffer;
  /** in packets; `2^20` is stored as 1048576 */
  lifetime?: number;
  /** how the lifetime was written (`2^20` or `1048576`), to format it back the same way */
  lifetimeText?: string;
  mki?: { value: number; length: number };
}

export interface CryptoAttribute {
  tag: number;
  suite: string;
  keyParams: CryptoKeyParam[];
  /** each session parameter as written, e.g. `KDR=0`, `WSH=64`, `UNENCRYPTED_SRTCP` */
  sessionParams: string[];
}

/** Key and salt lengths of a registered suite, or undefined for one this library does not know. */
export function suiteKeyLengths(suite: string): { key: number; salt: number } | undefined {
  const s = SUITE_KEY_SALT[suite];
  return s ? { key: s.key, salt: s.salt } : undefined;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses the value of an `a=crypto` attribute (what follows `a=crypto:`).
 * Throws SrtpError naming the broken part; for registered suites the key||salt
 * length is checked (30 octets for AES_CM_128_HMAC_SHA1_80).
 */
export function parseCryptoAttribute(value: string): CryptoAttribute {
  if (typeof value !== 'string') throw new SrtpError('not-a-string', 'a=crypto value must be a string');
  const trimmed = value.replace(/^a=crypto:/i, '').trim();
  const parts = trimmed.split(/[ \t]+/).filter((p) => p.length > 0);
  const [tagText, suite, keyParamsText, ...sessionParams] = parts;
  if (tagText === undefined || tagText.length === 0) throw new SrtpError('missing-tag', 'a=crypto: the tag is missing');
  if (!/^[0-9]{1,9}$/.test(tagText)) throw new SrtpError('bad-tag', `a=crypto: the tag must be 1 to 9 digits (RFC 4568 §9.1), got '${clip(tagText)}'`);
  if (suite === undefined) throw new SrtpError('missing-suite', 'a=crypto: the crypto-suite is missing after the tag');
  if (!/^[A-Za-z0-9_]+$/.test(suite)) throw new SrtpError('bad-suite', `a=crypto: the crypto-suite may hold only letters, digits and '_' (RFC 4568 §9.1), got '${clip(suite)}'`);
  if (keyParamsText === undefined) throw new SrtpError('missing-key-params', `a=crypto: the key-params ('inline:<base64 key||salt>') are missing after ${suite}`);
  const known = SUITE_KEY_SALT[suite];
  const keyParams = keyParamsText.split(';').map((kp, i) => parseKeyParam(kp, i, suite, known));
  for (const sp of sessionParams) {
    if (!/^[\x21-\x7e]+$/.test(sp)) throw new SrtpError('bad-session-param', `a=crypto: session parameter '${clip(sp)}' holds characters outside VCHAR (RFC 4568 §9.1)`);
  }
  if (keyParams.length > 1 && keyParams.some((k) => k.mki === undefined)) {
    throw new SrtpError('missing-mki', 'a=crypto: with more than one key-param every key needs an MKI (RFC 4568 §6.1)');
  }
  return { tag: Number(tagText), suite, keyParams, sessionParams };
}

function parseKeyParam(text: string, index: number, suite: string, known: (typeof SUITE_KEY_SALT)[string] | undefined): CryptoKeyParam {
  const where = `a=crypto key-param ${index + 1}`;
  const colon = text.indexOf(':');
  if (colon < 0) throw new SrtpError('bad-key-param', `${where}: expected '<method>:<key-info>', got '${clip(text)}'`);
  const method = text.slice(0, colon);
  if (method !== 'inline') throw new SrtpError('bad-key-method', `${where}: key-method must be 'inline' (RFC 4568 §6.1; SDES defines no other), got '${clip(method)}'`);
  const [keySaltText = '', ...rest] = text.slice(colon + 1).split('|');
  if (keySaltText.length === 0) throw new SrtpError('missing-key', `${where}: the base64 key||salt after 'inline:' is empty`);
  if (!BASE64.test(keySaltText) || keySaltText.length % 4 !== 0) throw new SrtpError('bad-base64', `${where}: key||salt is not padded base64 (RFC 4568 §6.1, RFC 4648 §4): '${clip(keySaltText)}'`);
  const keySalt = Buffer.from(keySaltText, 'base64');
  if (keySalt.toString('base64') !== keySaltText) throw new SrtpError('bad-base64', `${where}: key||salt is not canonical base64 (stray bits in the last character)`);
  if (known && keySalt.length !== known.key + known.salt) {
    throw new SrtpError('bad-key-length', `${where}: ${suite} needs a ${known.key}-octet key and a ${known.salt}-octet salt (${known.key + known.salt} octets, RFC 4568 §6.2), the inline value decodes to ${keySalt.length}`);
  }
  const param: CryptoKeyParam = { method: 'inline', keySalt };
  if (rest.length > 2) throw new SrtpError('bad-key-info', `${where}: at most a lifetime and an MKI may follow the key, separated by '|'`);
  for (const field of rest) {
    if (field.includes(':')) {
      if (param.mki) throw new SrtpError('bad-mki', `${where}: two MKI fields`);
      const m = /^([0-9]{1,20}):([0-9]{1,3})$/.exec(field);
      if (!m) throw new SrtpError('bad-mki', `${where}: MKI must be '<value>:<length>' in decimal, got '${clip(field)}'`);
      const value = Number(m[1]);
      const length = Number(m[2]);
      if (length < 1 || length > 128) throw new SrtpError('bad-mki', `${where}: MKI length must be 1 to 128 octets (RFC 4568 §9.1), got ${length}`);
      if (!Number.isSafeInteger(value) || (length < 7 && value >= 2 ** (8 * length))) throw new SrtpError('bad-mki', `${where}: MKI value ${m[1]} does not fit in ${length} octet(s)`);
      param.mki = { value, length };
    } else {
      if (param.lifetime !== undefined) throw new SrtpError('bad-lifetime', `${where}: two lifetime fields`);
      if (param.mki) throw new SrtpError('bad-lifetime', `${where}: the lifetime must come before the MKI (RFC 4568 §9.1)`);
      const m = /^(2\^)?([0-9]{1,16})$/.exec(field);
      if (!m) throw new SrtpError('bad-lifetime', `${where}: lifetime must be decimal or '2^<n>', got '${clip(field)}'`);
      const n = Number(m[2]);
      const lifetime = m[1] ? 2 ** n : n;
      if (lifetime < 1) throw new SrtpError('bad-lifetime', `${where}: lifetime must be at least 1 packet`);
      if (known && lifetime > known.maxLifetime) throw new SrtpError('bad-lifetime', `${where}: lifetime ${field} exceeds the 2^48 packets ${suite} allows (RFC 4568 §6.2.1)`);
      param.lifetime = lifetime;
      param.lifetimeText = field;
    }
  }
  return param;
}

/** Formats an attribute value (without `a=crypto:`), e.g. `1 AES_CM_128_HMAC_SHA1_80 inline:<base64>`. */
export function formatCryptoAttribute(attr: CryptoAttribute): string {
  const keyParams = attr.keyParams
    .map((k) => {
      let s = `inline:${k.keySalt.toString('base64')}`;
      if (k.lifetime !== undefined) s += `|${k.lifetimeText ?? String(k.lifetime)}`;
      if (k.mki) s += `|${k.mki.value}:${k.mki.length}`;
      return s;
    })
    .join(';');
  return [String(attr.tag), attr.suite, keyParams, ...attr.sessionParams].join(' ');
}

/** Fresh random key||salt for a suite (30 octets for AES_CM_128_HMAC_SHA1_80). */
export function generateKeyingMaterial(suite: string = AES_CM_128_HMAC_SHA1_80): Buffer {
  const known = SUITE_KEY_SALT[suite];
  if (!known) throw new SrtpError('unsupported-suite', `cannot generate keys for unknown crypto-suite '${clip(suite)}'`);
  return randomBytes(known.key + known.salt);
}

/**
 * Checks that an attribute is one this library's SrtpContext can use: the
 * suite is AES_CM_128_HMAC_SHA1_80 (or _32), one key, KDR 0 (or absent) and no
 * session parameter that switches encryption, authentication off or adds FEC.
 * Returns the key parameters to build a context from.
 */
export function receivableCrypto(attr: CryptoAttribute, allowedSuites: readonly string[] = [AES_CM_128_HMAC_SHA1_80]): CryptoKeyParam {
  if (!allowedSuites.includes(attr.suite)) throw new SrtpError('unsupported-suite', `a=crypto: crypto-suite ${clip(attr.suite)} is not accepted here (only ${allowedSuites.join(', ')})`);
  if (attr.keyParams.length !== 1) throw new SrtpError('unsupported-multiple-keys', `a=crypto: exactly one key-param is supported, got ${attr.keyParams.length}`);
  for (const sp of attr.sessionParams) {
    const [name = '', val] = sp.split('=');
    if (UNSUPPORTED_SESSION_PARAMS.includes(name)) throw new SrtpError('unsupported-session-param', `a=crypto: session parameter ${name} is not supported (RFC 4568 §6.3)`);
    if (name === 'KDR' && val !== '0') throw new SrtpError('unsupported-session-param', `a=crypto: only KDR=0 (key derivation rate 0, RFC 3711 §4.3.1) is supported, got '${clip(sp)}'`);
  }
  const [kp] = attr.keyParams;
  if (!kp) throw new SrtpError('missing-key-params', 'a=crypto: no key-param');
  return kp;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}
