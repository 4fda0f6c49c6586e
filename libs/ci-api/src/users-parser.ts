import { NEXT_LINK_KEYS, USERS_LIST_KEYS } from './providers-mapping';

/** A user as the providers API sends it; passed through untouched (normalising is the policy library's job). */
export type ProviderUser = Record<string, unknown>;

export type UsersShape = 'array' | (typeof USERS_LIST_KEYS)[number];

export interface UsersBodySummary {
  shape: UsersShape;
  users: number;
  /** The next page's link as the body gave it (not yet resolved or checked). */
  nextLink?: string;
}

/** The body is not JSON, or is JSON in no shape we know; `message` says which. */
export class UsersShapeError extends Error {
  override readonly name = 'UsersShapeError';
}

const MAX_OTHER_MEMBER_CHARS = 1024 * 1024;
const LIST_KEYS: readonly string[] = USERS_LIST_KEYS;

type Mode = 'start' | 'items' | 'item' | 'key' | 'colon' | 'value-start' | 'value' | 'after-value' | 'done';

const WS = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

/**
 * An incremental parser for a users answer — a bare array, or an object with
 * the list under `value` / `users` / `items` — that hands over each user as soon
 * as its text is complete, so a listing of any size never sits in memory: only
 * the user being read and the object's other (small) members are kept. Each user
 * is JSON.parse'd on its own; the scanner only tracks strings and nesting.
 */
export class UsersBodyParser {
  private buf = '';
  private pos = 0;
  private mode: Mode = 'start';
  private root: 'array' | 'object' | undefined;
  private listKey: string | undefined;
  private key = '';
  private tokenStart = 0;
  /** items: a ',' was read and an element must follow. */
  private afterComma = false;
  /** items: an element was read and ',' or ']' must follow. */
  private needComma = false;
  private count = 0;
  private readonly others = new Map<string, unknown>();
  private consumed = 0;

  constructor(private readonly onUser: (user: ProviderUser, index: number) => void) {}

  /** Feeds the next piece of text (decoded with a StringDecoder so no character is split). */
  push(text: string): void {
    if (text.length === 0) return;
    this.buf = this.pos === this.buf.length ? text : this.buf + text;
    this.scan();
    // Drop what is consumed: keep from the start of an unfinished token.
    const keepFrom = this.mode === 'item' || this.mode === 'value' ? this.tokenStart : this.pos;
    if (keepFrom > 0) {
      this.consumed += keepFrom;
      this.buf = this.buf.slice(keepFrom);
      this.pos -= keepFrom;
      this.tokenStart -= keepFrom;
    }
    if (this.mode === 'value' && this.buf.length - this.tokenStart > MAX_OTHER_MEMBER_CHARS)
      this.fail(`the member "${this.key}" is larger than ${MAX_OTHER_MEMBER_CHARS} characters and is not a users list`);
  }

  /** The shape, once the list has started (undefined before). */
  shapeSoFar(): UsersShape | undefined {
    if (this.root === 'array') return 'array';
    return this.listKey as UsersShape | undefined;
  }

  /** The body is complete: checks it was whole and in a known shape. */
  end(): UsersBodySummary {
    this.scan();
    if (this.mode === 'start') this.fail('the body is empty');
    if (this.mode !== 'done') this.fail(`the body ends in the middle of the JSON (after ${this.consumed + this.pos} characters)`);
    if (this.root === 'object' && this.listKey === undefined) {
      const keys = [...this.others.keys()];
      const wrong = keys.find((k) => LIST_KEYS.includes(k));
      if (wrong !== undefined) this.fail(`"${wrong}" is ${describe(this.others.get(wrong))}, not an array of users`);
      this.fail(`an object with ${keys.length === 0 ? 'no members' : `the members ${keys.map((k) => `"${k}"`).join(', ')}`} and no users list`);
    }
    let nextLink: string | undefined;
    for (const k of NEXT_LINK_KEYS) {
      const v = this.others.get(k);
      if (typeof v === 'string' && v.length > 0) {
        nextLink = v;
        break;
      }
    }
    return { shape: this.root === 'array' ? 'array' : ((this.listKey ?? 'value') as UsersShape), users: this.count, ...(nextLink !== undefined ? { nextLink } : {}) };
  }

  private fail(why: string): never {
    throw new UsersShapeError(why);
  }

  private scan(): void {
    const s = this.buf;
    const n = s.length;
    let i = this.pos;
    while (i < n) {
      const c = s.charCodeAt(i);
      switch (this.mode) {
        case 'start':
          if (WS(c) || c === 0xfeff) {
            i++;
            break;
          }
          if (c === 0x5b /* [ */) {
            this.root = 'array';
            this.mode = 'items';
            i++;
            break;
          }
          if (c === 0x7b /* { */) {
            this.root = 'object';
            this.mode = 'key';
            this.afterComma = false;
            this.needComma = false;
            i++;
            break;
          }
          this.fail(`${this.startDescription(s.slice(i, i + 40))}, not a JSON array or object`);
          break;
        case 'items':
          if (WS(c)) {
            i++;
            break;
          }
          if (c === 0x2c /* , */) {
            if (!this.needComma) this.fail(`unexpected ',' in the users list (after ${this.count} users)`);
            this.needComma = false;
            this.afterComma = true;
            i++;
            break;
          }
          if (c === 0x5d /* ] */) {
            if (this.afterComma) this.fail(`a ',' before ']' in the users list (after ${this.count} users)`);
            this.mode = this.root === 'array' ? 'done' : 'after-value';
            i++;
            break;
          }
          if (this.needComma) this.fail(`',' or ']' expected after user ${this.count} in the users list`);
          this.mode = 'item';
          this.tokenStart = i;
          break;
        case 'item':
        case 'value': {
          const end = this.scanValue(s);
          if (end < 0) {
            // unfinished: scan it again from its start with more text
            this.pos = this.tokenStart;
            return;
          }
          const raw = s.slice(this.tokenStart, end);
          i = end;
          if (this.mode === 'item') {
            this.emit(raw);
            this.needComma = true;
            this.afterComma = false;
            this.mode = 'items';
          } else {
            this.others.set(this.key, this.parse(raw, `the member "${this.key}"`));
            this.mode = 'after-value';
          }
          break;
        }
        case 'key': {
          if (WS(c)) {
            i++;
            break;
          }
          if (c === 0x7d /* } */ && !this.afterComma) {
            this.mode = 'done';
            i++;
            break;
          }
          if (c !== 0x22 /* " */) this.fail(`a member name expected in the object, found ${JSON.stringify(s[i])}`);
          const close = this.stringEnd(s, i + 1);
          if (close < 0) {
            // unfinished name: read it again from its quote with more text
            this.tokenStart = i;
            this.pos = i;
            return;
          }
          this.key = this.parse(s.slice(i, close + 1), 'a member name') as string;
          this.afterComma = false;
          this.mode = 'colon';
          i = close + 1;
          break;
        }
        case 'colon':
          if (WS(c)) {
            i++;
            break;
          }
          if (c !== 0x3a /* : */) this.fail(`':' expected after the member name "${this.key}"`);
          this.mode = 'value-start';
          i++;
          break;
        case 'value-start':
          if (WS(c)) {
            i++;
            break;
          }
          if (c === 0x5b && this.listKey === undefined && LIST_KEYS.includes(this.key)) {
            this.listKey = this.key;
            this.mode = 'items';
            this.afterComma = false;
            this.needComma = false;
            i++;
            break;
          }
          this.mode = 'value';
          this.tokenStart = i;
          break;
        case 'after-value':
          if (WS(c)) {
            i++;
            break;
          }
          if (c === 0x2c) {
            this.mode = 'key';
            this.afterComma = true;
            i++;
            break;
          }
          if (c === 0x7d) {
            this.mode = 'done';
            i++;
            break;
          }
          this.fail(`',' or '}' expected after the member "${this.key}"`);
          break;
        case 'done':
          if (WS(c)) {
            i++;
            break;
          }
          this.fail('more text after the end of the JSON');
      }
    }
    this.pos = i;
  }

  /**
   * The index just past the value starting at tokenStart (the ',' / ']' / '}'
   * closing it at depth 0 is not included), or -1 when the text ends first: the
   * value is then scanned again from its start once more text has come (values
   * are users, a few hundred characters; other members are capped).
   */
  private scanValue(s: string): number {
    let i = this.tokenStart;
    const n = s.length;
    let depth = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        const close = this.stringEnd(s, i + 1);
        if (close < 0) return -1;
        i = close + 1;
      } else if (c === 0x7b || c === 0x5b) {
        depth++;
        i++;
      } else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) return i;
        depth--;
        i++;
      } else if (c === 0x2c && depth === 0) {
        return i;
      } else i++;
    }
    return -1;
  }

  /** Index of the closing quote of the string whose content starts at i, or -1. */
  private stringEnd(s: string, from: number): number {
    let i = from;
    for (;;) {
      const q = s.indexOf('"', i);
      if (q < 0) return -1;
      let b = q - 1;
      while (b >= from && s.charCodeAt(b) === 0x5c) b--;
      if ((q - 1 - b) % 2 === 0) return q;
      i = q + 1;
    }
  }

  private emit(raw: string): void {
    const user = this.parse(raw, `user ${this.count}`);
    if (user === null || typeof user !== 'object' || Array.isArray(user)) this.fail(`user ${this.count} is ${describe(user)}, not an object`);
    this.onUser(user as ProviderUser, this.count);
    this.count++;
  }

  private parse(raw: string, what: string): unknown {
    try {
      return JSON.parse(raw);
    } catch (err) {
      this.fail(`${what} is not valid JSON (${(err as Error).message}): ${raw.slice(0, 80)}`);
    }
  }

  private startDescription(head: string): string {
    const t = head.trimStart();
    if (t.startsWith('<')) return 'HTML or XML';
    if (t.startsWith('"')) return 'a JSON string';
    if (/^(true|false)/.test(t)) return 'a JSON boolean';
    if (t.startsWith('null')) return 'JSON null';
    if (/^-?\d/.test(t)) return 'a JSON number';
    return `text starting ${JSON.stringify(t.slice(0, 20))}`;
  }
}
