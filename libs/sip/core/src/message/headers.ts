import { canonicalHeaderName, expandHeaderName, headerKey, isListHeader } from './header-names';
import { splitOutside } from './scan';
import type { HeaderField, Headers } from './types';

/** The Headers of a message: wire order kept, names compared case-insensitively, compact forms expanded. */
export class HeaderList implements Headers {
  private fields: HeaderField[];
  // headerKey() of each field, kept beside it so lookups do not lower-case every name each time.
  private keys: string[];

  constructor(fields: Iterable<HeaderField> = []) {
    this.fields = [];
    this.keys = [];
    for (const f of fields) {
      this.fields.push({ name: expandHeaderName(f.name), value: f.value });
      this.keys.push(headerKey(f.name));
    }
  }

  /** Builds from `[name, value]` pairs or an object (arrays for repeated headers). */
  static from(init: [string, string][] | Record<string, string | string[]>): HeaderList {
    const pairs = Array.isArray(init) ? init : Object.entries(init).flatMap(([n, v]) => (Array.isArray(v) ? v.map((x) => [n, x] as [string, string]) : [[n, v] as [string, string]]));
    return new HeaderList(pairs.map(([name, value]) => ({ name, value })));
  }

  /**
   * The parser's fast path: `fields` already have compact names expanded and
   * `keys[i]` is headerKey(fields[i].name). Both arrays are taken over, not copied.
   * @internal
   */
  static fromParsed(fields: HeaderField[], keys: string[]): HeaderList {
    const list = new HeaderList();
    list.fields = fields;
    list.keys = keys;
    return list;
  }

  get size(): number {
    return this.fields.length;
  }

  get(name: string): string | undefined {
    const at = this.keys.indexOf(headerKey(name));
    return at < 0 ? undefined : this.fields[at]?.value;
  }

  getAll(name: string): string[] {
    const key = headerKey(name);
    const values: string[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      const f = this.fields[i];
      if (this.keys[i] === key && f) values.push(f.value);
    }
    if (!isListHeader(key)) return values;
    return values.flatMap((v) => (key === 'contact' && v.trim() === '*' ? ['*'] : splitOutside(v, ',')));
  }

  has(name: string): boolean {
    return this.keys.includes(headerKey(name));
  }

  set(name: string, value: string): void {
    const key = headerKey(name);
    const at = this.keys.indexOf(key);
    const field = { name: at >= 0 ? (this.fields[at]?.name ?? canonicalHeaderName(name)) : canonicalHeaderName(name), value };
    this.remove(key);
    if (at >= 0) {
      this.fields.splice(at, 0, field);
      this.keys.splice(at, 0, key);
    } else {
      this.fields.push(field);
      this.keys.push(key);
    }
  }

  append(name: string, value: string): void {
    this.fields.push({ name: canonicalHeaderName(name), value });
    this.keys.push(headerKey(name));
  }

  prepend(name: string, value: string): void {
    this.fields.unshift({ name: canonicalHeaderName(name), value });
    this.keys.unshift(headerKey(name));
  }

  /**
   * Removes the first value of a list header (a proxy popping its Via, RFC 3261
   * §16.7 step 3): from a comma-joined field only that entry goes.
   */
  shift(name: string): string | undefined {
    const key = headerKey(name);
    const at = this.keys.indexOf(key);
    const field = this.fields[at];
    if (!field) return undefined;
    const parts = isListHeader(key) ? splitOutside(field.value, ',') : [field.value];
    const [first, ...rest] = parts;
    if (rest.length === 0) {
      this.fields.splice(at, 1);
      this.keys.splice(at, 1);
    } else {
      this.fields[at] = { name: field.name, value: rest.join(', ') };
    }
    return first;
  }

  delete(name: string): void {
    this.remove(headerKey(name));
  }

  clone(): HeaderList {
    return HeaderList.fromParsed(
      this.fields.map((f) => ({ ...f })),
      [...this.keys],
    );
  }

  [Symbol.iterator](): Iterator<HeaderField> {
    return this.fields[Symbol.iterator]();
  }

  private remove(key: string): void {
    const fields: HeaderField[] = [];
    const keys: string[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      const f = this.fields[i];
      const k = this.keys[i];
      if (k !== key && f && k !== undefined) {
        fields.push(f);
        keys.push(k);
      }
    }
    this.fields = fields;
    this.keys = keys;
  }
}
