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

/**
 * Parses `;name[=value]` parameters (generic-param, RFC 3261 §25.1). Names are
 * lower-cased; a quoted value is kept with its quotes so it round-trips; a name
 * without a value maps to null.
 */
export function parseParams(text: string): Record<string, string | null> {
  const params: Record<string, string | null> = {};
  for (const piece of splitOutside(text, ';')) {
    const eq = piece.indexOf('=');
    const name = (eq < 0 ? piece : piece.slice(0, eq)).trim().toLowerCase();
    if (!/^[A-Za-z0-9\-.!%*_+`'~]+$/.test(name)) throw new SipParseError('bad-parameter', `bad parameter name "${name}"`);
    const value = eq < 0 ? null : piece.slice(eq + 1).trim();
    if (value !== null && value.length === 0) throw new SipParseError('bad-parameter', `parameter "${name}" has an empty value`);
    params[name] = value;
  }
  return params;
}

export function formatParams(params: Record<string, string | null>): string {
  return Object.entries(params)
    .map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`))
    .join('');
}
