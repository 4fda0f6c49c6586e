import { SipParseError } from './types';

/**
 * Splits `value` at `sep` where it stands outside quoted strings (with their
 * backslash escapes, RFC 3261 §25.1) and outside <…>. Pieces are trimmed;
 * empty pieces are dropped.
 */
export function splitOutside(value: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') depth++;
    else if (c === '>') depth = Math.max(0, depth - 1);
    else if (c === sep && depth === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (quoted) throw new SipParseError('unterminated-quote', `unterminated quoted string in "${value}"`);
  out.push(value.slice(start).trim());
  return out.filter((p) => p.length > 0);
}

/** Reads a quoted string starting at `value[at] === '"'`; returns its unescaped text and the index after it. */
export function readQuoted(value: string, at: number): { text: string; end: number } {
  let text = '';
  for (let i = at + 1; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      const next = value[i + 1];
      if (next === undefined) break;
      text += next;
      i++;
    } else if (c === '"') {
      return { text, end: i + 1 };
    } else {
      text += c;
    }
  }
  throw new SipParseError('unterminated-quote', `unterminated quoted string in "${value}"`);
}

/** Quotes `text` for a header when it is not a plain token sequence. */
export function quoteIfNeeded(text: string): string {
  if (/^[A-Za-z0-9\-.!%*_+`'~ ]+$/.test(text) && text.trim() === text) return text;
  return `"${text.replace(/(["\\])/g, '\\$1')}"`;
}

// RFC 3261 §25.1 token characters, by char code.
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~") TOKEN_CHARS[c.charCodeAt(0)] = 1;

/** Whether char code `c` is a token character (RFC 3261 §25.1). */
export function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN_CHARS[c] === 1;
}

const isWsp = (c: number): boolean => c === 0x20 || c === 0x09;

// What an unquoted gen-value / pvalue can never hold (RFC 3261 §25.1: token, host or
// paramchar): controls (C0, DEL, C1), SP, DQUOTE, ",", "<", ">", "\".
function isBadUnquoted(c: number): boolean {
  return c <= 0x20 || c === 0x22 || c === 0x2c || c === 0x3c || c === 0x3e || c === 0x5c || (c >= 0x7f && c <= 0x9f);
}

// Index just after the quoted string that starts at `text[at] === '"'` (backslash escapes honoured).
function endOfQuoted(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  throw new SipParseError('unterminated-quote', `unterminated quoted string in "${text}"`);
}

/**
 * Parses `;name[=value]` parameters (generic-param, RFC 3261 §25.1); `text` is
 * what follows the first ";". Names are lower-cased; a quoted value is kept with
 * its quotes so it round-trips; a name without a value maps to null. LWS may
 * stand around ";" and "=". An empty parameter (`;;`, a trailing `;`), an empty
 * value or a value that is neither a token/host nor one quoted string is
 * refused (RFC 4475 §3.1.2.1).
 */
export function parseParams(text: string): Record<string, string | null> {
  const params: Record<string, string | null> = {};
  const n = text.length;
  let i = 0;
  for (;;) {
    while (i < n && isWsp(text.charCodeAt(i))) i++;
    const nameStart = i;
    while (i < n && isTokenChar(text.charCodeAt(i))) i++;
    const nameEnd = i;
    while (i < n && isWsp(text.charCodeAt(i))) i++;
    if (nameStart === nameEnd) {
      if (i >= n || text.charCodeAt(i) === 0x3b) throw new SipParseError('bad-parameter', `empty parameter in ";${text}"`);
      throw new SipParseError('bad-parameter', `bad parameter name in ";${text}"`);
    }
    const name = text.slice(nameStart, nameEnd).toLowerCase();
    let value: string | null = null;
    if (i < n && text.charCodeAt(i) === 0x3d) {
      i++;
      while (i < n && isWsp(text.charCodeAt(i))) i++;
      const valueStart = i;
      if (i < n && text.charCodeAt(i) === 0x22) {
        i = endOfQuoted(text, i);
      } else {
        for (; i < n; i++) {
          const c = text.charCodeAt(i);
          if (c === 0x3b || isWsp(c)) break;
          if (isBadUnquoted(c)) throw new SipParseError('bad-parameter', `bad value of parameter "${name}"`);
        }
      }
      if (i === valueStart) throw new SipParseError('bad-parameter', `parameter "${name}" has an empty value`);
      value = text.slice(valueStart, i);
      while (i < n && isWsp(text.charCodeAt(i))) i++;
    }
    if (i < n && text.charCodeAt(i) !== 0x3b) throw new SipParseError('bad-parameter', `junk after parameter "${name}" in ";${text}"`);
    params[name] = value;
    if (i >= n) return params;
    i++;
  }
}

export function formatParams(params: Record<string, string | null>): string {
  return Object.entries(params)
    .map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`))
    .join('');
}
