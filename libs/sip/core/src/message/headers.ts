import { canonicalHeaderName, expandHeaderName, headerKey, isListHeader } from './header-names';
import { splitOutside } from './scan';
import type { HeaderField, Headers } from './types';

/** The Headers of a message: wire order kept, names compared case-insensitively, compact forms expanded. */
export class HeaderList implements Headers {
  private fields: HeaderField[];

  constructor(fields: Iterable<HeaderField> = []) {
    this.fields = [...fields].map((f) => ({ name: expandHeaderName(f.name), value: f.value }));
  }

  /** Builds from `[name, value]` pairs or an object (arrays for repeated headers). */
  static from(init: [string, string][] | Record<string, string | string[]>): HeaderList {
    const pairs = Array.isArray(init) ? init : Object.entries(init).flatMap(([n, v]) => (Array.isArray(v) ? v.map((x) => [n, x] as [string, string]) : [[n, v] as [string, string]]));
    return new HeaderList(pairs.map(([name, value]) => ({ name, value })));
  }

  get size(): number {
    return this.fields.length;
  }

  get(name: string): string | undefined {
    const key = headerKey(name);
    return this.fields.find((f) => headerKey(f.name) === key)?.value;
  }

  getAll(name: string): string[] {
    const key = headerKey(name);
    const values = this.fields.filter((f) => headerKey(f.name) === key).map((f) => f.value);
    if (!isListHeader(key)) return values;
    return values.flatMap((v) => (key === 'contact' && v.trim() === '*' ? ['*'] : splitOutside(v, ',')));
  }

  has(name: string): boolean {
    const key = headerKey(name);
    return this.fields.some((f) => headerKey(f.name) === key);
  }

  set(name: string, value: string): void {
    const key = headerKey(name);
    const at = this.fields.findIndex((f) => headerKey(f.name) === key);
    const field = { name: at >= 0 ? (this.fields[at]?.name ?? canonicalHeaderName(name)) : canonicalHeaderName(name), value };
    this.fields = this.fields.filter((f) => headerKey(f.name) !== key);
    if (at >= 0) this.fields.splice(at, 0, field);
    else this.fields.push(field);
  }

  append(name: string, value: string): void {
    this.fields.push({ name: canonicalHeaderName(name), value });
  }

  prepend(name: string, value: string): void {
    this.fields.unshift({ name: canonicalHeaderName(name), value });
  }

  /**
   * Removes the first value of a list header (a proxy popping its Via, RFC 3261
   * §16.7 step 3): from a comma-joined field only that entry goes.
   */
  shift(name: string): string | undefined {
    const key = headerKey(name);
    const at = this.fields.findIndex((f) => headerKey(f.name) === key);
    const field = this.fields[at];
    if (!field) return undefined;
    const parts = isListHeader(key) ? splitOutside(field.value, ',') : [field.value];
    const [first, ...rest] = parts;
    if (rest.length === 0) this.fields.splice(at, 1);
    else this.fields[at] = { name: field.name, value: rest.join(', ') };
    return first;
  }

  delete(name: string): void {
    const key = headerKey(name);
    this.fields = this.fields.filter((f) => headerKey(f.name) !== key);
  }

  clone(): HeaderList {
    return new HeaderList(this.fields.map((f) => ({ ...f })));
  }

  [Symbol.iterator](): Iterator<HeaderField> {
    return this.fields[Symbol.iterator]();
  }
}
