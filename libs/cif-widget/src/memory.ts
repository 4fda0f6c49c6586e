import type { StorageLike } from './types';

/** sessionStorage when the page may use it (a sandboxed frame or blocked third-party storage throws on access). */
export function defaultStorage(): StorageLike | undefined {
  try {
    const s = (globalThis as { sessionStorage?: StorageLike }).sessionStorage;
    if (!s) return undefined;
    s.getItem('ci-connector/cif-widget/probe');
    return s;
  } catch {
    return undefined;
  }
}

/**
 * A bounded set of strings kept in the tab's storage under `key`, so a reload of the
 * widget page (a full restart of the connection) still knows which events it raised.
 * Oldest entries fall out past `max`. Works in memory alone when there is no storage.
 */
export class RememberedSet {
  private readonly items: string[];
  private readonly index: Set<string>;

  constructor(
    private readonly storage: StorageLike | undefined,
    private readonly key: string,
    private readonly max = 1000,
  ) {
    this.items = readJson<string[]>(storage, key, (v): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string')) ?? [];
    this.index = new Set(this.items);
  }

  has(item: string): boolean {
    return this.index.has(item);
  }

  add(item: string): void {
    if (this.index.has(item)) return;
    this.items.push(item);
    this.index.add(item);
    while (this.items.length > this.max) this.index.delete(this.items.shift() as string);
    writeJson(this.storage, this.key, this.items);
  }

  delete(item: string): void {
    if (!this.index.delete(item)) return;
    this.items.splice(this.items.indexOf(item), 1);
    writeJson(this.storage, this.key, this.items);
  }
}

/** One remembered string (the stream's last event id). */
export class RememberedValue {
  private value: string | undefined;

  constructor(
    private readonly storage: StorageLike | undefined,
    private readonly key: string,
  ) {
    this.value = readJson<string>(storage, key, (v): v is string => typeof v === 'string');
  }

  get(): string | undefined {
    return this.value;
  }

  set(value: string): void {
    this.value = value;
    writeJson(this.storage, this.key, value);
  }
}

function readJson<T>(storage: StorageLike | undefined, key: string, ok: (v: unknown) => v is T): T | undefined {
  try {
    const raw = storage?.getItem(key);
    if (raw == null) return undefined;
    const v: unknown = JSON.parse(raw);
    return ok(v) ? v : undefined;
  } catch {
    // Unreadable or foreign content under our key: start afresh rather than fail the widget.
    return undefined;
  }
}

function writeJson(storage: StorageLike | undefined, key: string, value: unknown): void {
  try {
    storage?.setItem(key, JSON.stringify(value));
  } catch {
    // Quota or storage blocked: the widget goes on with what it keeps in memory.
    return;
  }
}
