import { canonicalHeaderName, expandHeaderName, headerKey, isListHeader } from './header-names';
import { splitOutside } from './scan';
import type { HeaderField, Headers } from './types';

// One field takes three slots of the flat array: its key, its name, its value.
const KEY = 0;
const NAME = 1;
const VALUE = 2;
const STRIDE = 3;

/**
 * The Headers of a message: wire order kept, names compared case-insensitively, compact forms expanded.
 *
 * Stored as one flat array `[key, name, value, key, name, value, …]` (the key is
 * headerKey(name), kept so lookups do not lower-case every name each time), not an
 * object per field: a call in progress keeps several messages, and each object
 * it keeps is copied by every young-generation GC while the call is young
 * (docs/performance.md §6.2). Iteration hands out `{ name, value }` views made on the spot.
 */
export class HeaderList implements Headers {
  private f: string[];

  constructor(fields: Iterable<HeaderField> = []) {
    this.f = [];
    for (const field of fields) this.f.push(headerKey(field.name), expandHeaderName(field.name), field.value);
  }

  /** Builds from `[name, value]` pairs or an object (arrays for repeated headers). */
  static from(init: [string, string][] | Record<string, string | string[]>): HeaderList {
    const pairs = Array.isArray(init) ? init : Object.entries(init).flatMap(([n, v]) => (Array.isArray(v) ? v.map((x) => [n, x] as [string, string]) : [[n, v] as [string, string]]));
    return new HeaderList(pairs.map(([name, value]) => ({ name, value })));
  }

  /**
   * The parser's fast path: `flat` is `[key, name, value, …]` with compact names
   * already expanded and each key headerKey(name). Taken over, not copied.
   * @internal
   */
  static fromParsed(flat: string[]): HeaderList {
    const list = new HeaderList();
    list.f = flat;
    return list;
  }

  get size(): number {
    return this.f.length / STRIDE;
  }

  get(name: string): string | undefined {
    const at = this.indexOf(headerKey(name));
    return at < 0 ? undefined : this.f[at + VALUE];
  }

  getAll(name: string): string[] {
    const key = headerKey(name);
    const values: string[] = [];
    const f = this.f;
    for (let i = 0; i < f.length; i += STRIDE) {
      if (f[i + KEY] === key) values.push(f[i + VALUE] as string);
    }
    if (!isListHeader(key)) return values;
    return values.flatMap((v) => (key === 'contact' && v.trim() === '*' ? ['*'] : splitOutside(v, ',')));
  }

  has(name: string): boolean {
    return this.indexOf(headerKey(name)) >= 0;
  }

  set(name: string, value: string): void {
    const key = headerKey(name);
    const at = this.indexOf(key);
    if (at < 0) {
      this.f.push(key, canonicalHeaderName(name), value);
      return;
    }
    // The first field keeps its place and spelling; the others of that name go.
    const kept = this.f[at + NAME] as string;
    this.remove(key);
    this.f.splice(at, 0, key, kept, value);
  }

  append(name: string, value: string): void {
    this.f.push(headerKey(name), canonicalHeaderName(name), value);
  }

  prepend(name: string, value: string): void {
    this.f.unshift(headerKey(name), canonicalHeaderName(name), value);
  }

  /**
   * Removes the first value of a list header (a proxy popping its Via, RFC 3261
   * §16.7 step 3): from a comma-joined field only that entry goes.
   */
  shift(name: string): string | undefined {
    const key = headerKey(name);
    const at = this.indexOf(key);
    if (at < 0) return undefined;
    const value = this.f[at + VALUE] as string;
    const parts = isListHeader(key) ? splitOutside(value, ',') : [value];
    const [first, ...rest] = parts;
    if (rest.length === 0) this.f.splice(at, STRIDE);
    else this.f[at + VALUE] = rest.join(', ');
    return first;
  }

  delete(name: string): void {
    this.remove(headerKey(name));
  }

  clone(): HeaderList {
    return HeaderList.fromParsed(this.f.slice());
  }

  *[Symbol.iterator](): Iterator<HeaderField> {
    const f = this.f;
    for (let i = 0; i < f.length; i += STRIDE) yield { name: f[i + NAME] as string, value: f[i + VALUE] as string };
  }

  private indexOf(key: string): number {
    const f = this.f;
    for (let i = 0; i < f.length; i += STRIDE) if (f[i + KEY] === key) return i;
    return -1;
  }

  private remove(key: string): void {
    const f = this.f;
    const out: string[] = [];
    for (let i = 0; i < f.length; i += STRIDE) {
      if (f[i + KEY] !== key) out.push(f[i + KEY] as string, f[i + NAME] as string, f[i + VALUE] as string);
    }
    this.f = out;
  }
}
