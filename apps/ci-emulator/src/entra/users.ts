import type { FieldProblem } from '../providers/api-error';
import { GUID_RE } from '../providers/registration-body';

/**
 * The users to record of one tenant, kept compact so 1,000,000 fit easily:
 * a generated block costs nothing (each user is computed from the seed and its
 * index when it is listed), explicit users are kept as their JSON text.
 * Order: the generated block first, then the explicit users.
 */
export const MAX_USERS = 1_000_000;

export type DirectoryUser = Record<string, unknown>;

export interface GenerateSpec {
  count: number;
  seed: string;
  /** The domain of the UPNs and mail addresses. */
  domain: string;
}

const FIRST = ['Ava', 'Ben', 'Chloe', 'Dev', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jamal', 'Kiana', 'Liam', 'Maya', 'Noah', 'Olga', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tomas', 'Uma', 'Victor', 'Wen', 'Ximena', 'Yusuf', 'Zoe'];
const LAST = ['Anderson', 'Baker', 'Chen', 'Diaz', 'Evans', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jensen', 'Kowalski', 'Larsen', 'Moreau', 'Nakamura', 'Okafor', 'Patel', 'Quispe', 'Richardson', 'Silva', 'Tanaka', 'Ueda', 'Varga', 'Weber', 'Xu', 'Yilmaz', 'Zhang'];

/** murmur3's finaliser: a bijection on 32-bit integers. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/**
 * User `index` of a generated block: deterministic for (seed, index); ids,
 * UPNs, mail addresses and phone numbers are unique within the block (the first
 * id word is a bijection of the index; phones are `+1 555` numbers, an area
 * code no real number uses, spread by a multiplier prime to 10^7).
 */
export function generatedUser(spec: GenerateSpec, index: number, seedHash = fnv1a(spec.seed)): DirectoryUser {
  const w0 = fmix((seedHash ^ fmix(index)) >>> 0);
  const w1 = fmix(w0 ^ 0x9e3779b9 ^ index);
  const w2 = fmix(w1 ^ seedHash);
  const w3 = fmix(w2 ^ 0x7f4a7c15);
  const a = hex8(w0);
  const b = hex8(((w1 & 0xffff0fff) | 0x00004000) >>> 0);
  const c = hex8(((w2 & 0x3fffffff) | 0x80000000) >>> 0);
  const d = hex8(w3);
  const id = `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
  const first = FIRST[w1 % FIRST.length] ?? 'Ava';
  const last = LAST[w2 % LAST.length] ?? 'Anderson';
  const upn = `${first.toLowerCase()}.${last.toLowerCase()}.${index}@${spec.domain}`;
  const phone = `+1555${String((index * 7919 + (seedHash % 10_000_000)) % 10_000_000).padStart(7, '0')}`;
  return { id, userPrincipalName: upn, mail: upn, displayName: `${first} ${last}`, givenName: first, surname: last, businessPhones: [phone], mobilePhone: phone };
}

const E164 = /^\+[1-9]\d{6,14}$/;
const UPN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const MAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const KNOWN = new Set(['id', 'userPrincipalName', 'mail', 'displayName', 'givenName', 'surname', 'mobilePhone', 'businessPhones', 'jobTitle']);

/**
 * Checks one user object: the known fields with their types, at least one
 * identifier (id, userPrincipalName, mail, mobilePhone or businessPhones),
 * nothing unknown. Hand-written (not zod) so a million of them check quickly.
 */
export function checkUser(u: unknown, field: string, problems: FieldProblem[]): u is DirectoryUser {
  if (u === null || typeof u !== 'object' || Array.isArray(u)) {
    problems.push({ field, message: `must be a user object, got ${u === null ? 'null' : Array.isArray(u) ? 'an array' : typeof u}` });
    return false;
  }
  const before = problems.length;
  const o = u as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) problems.push({ field: `${field}.${k}`, message: `unknown property (known: ${[...KNOWN].join(', ')})` });
  const strField = (k: string, re?: RegExp, what?: string) => {
    const v = o[k];
    if (v === undefined) return;
    if (typeof v !== 'string' || v.trim() === '') problems.push({ field: `${field}.${k}`, message: 'must be a non-empty string' });
    else if (re && !re.test(v)) problems.push({ field: `${field}.${k}`, message: `not ${what}` });
  };
  strField('id', GUID_RE, 'a GUID');
  strField('userPrincipalName', UPN, 'a UPN (name@domain)');
  strField('mail', MAIL, 'an email address');
  strField('displayName');
  strField('givenName');
  strField('surname');
  strField('jobTitle');
  if (o['mobilePhone'] !== undefined && o['mobilePhone'] !== null) strField('mobilePhone', E164, 'an E.164 number (+ and 7-15 digits)');
  const phones = o['businessPhones'];
  if (phones !== undefined) {
    if (!Array.isArray(phones)) problems.push({ field: `${field}.businessPhones`, message: 'must be an array of E.164 numbers' });
    else phones.forEach((p, i) => typeof p === 'string' && E164.test(p) ? undefined : problems.push({ field: `${field}.businessPhones[${i}]`, message: 'not an E.164 number (+ and 7-15 digits)' }));
  }
  const hasId = ['id', 'userPrincipalName', 'mail', 'mobilePhone'].some((k) => typeof o[k] === 'string') || (Array.isArray(phones) && phones.length > 0);
  if (!hasId) problems.push({ field, message: 'a user needs at least one identifier: id, userPrincipalName, mail, mobilePhone or businessPhones' });
  return problems.length === before;
}

/** The key a user is found by for removal and duplicate checks: id, else UPN, else mail, else phone. */
export function userKey(u: DirectoryUser): string {
  const phones = u['businessPhones'];
  const first = Array.isArray(phones) ? phones[0] : undefined;
  return String(u['id'] ?? u['userPrincipalName'] ?? u['mail'] ?? u['mobilePhone'] ?? first ?? '').toLowerCase();
}

/** Checks a whole list: every problem (up to `maxProblems`), duplicates by key, the size limit. */
export function checkUsers(list: unknown, field = '(body)', maxProblems = 200): { ok: true; users: DirectoryUser[] } | { ok: false; problems: FieldProblem[] } {
  if (!Array.isArray(list)) return { ok: false, problems: [{ field, message: 'must be a JSON array of users' }] };
  if (list.length > MAX_USERS) return { ok: false, problems: [{ field, message: `${list.length} users: at most ${MAX_USERS} per tenant` }] };
  const problems: FieldProblem[] = [];
  const seen = new Map<string, number>();
  const at = (i: number) => (field === '(body)' ? `[${i}]` : `${field}[${i}]`);
  for (let i = 0; i < list.length && problems.length < maxProblems; i++) {
    const u = list[i] as unknown;
    if (!checkUser(u, at(i), problems)) continue;
    const key = userKey(u);
    const earlier = seen.get(key);
    if (earlier !== undefined) problems.push({ field: at(i), message: `duplicate of ${at(earlier)} (same id/userPrincipalName/mail '${key}')` });
    else seen.set(key, i);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, users: list as DirectoryUser[] };
}

export class UserList {
  private generated: GenerateSpec | undefined;
  private seedHash = 0;
  /** Sorted indexes of generated users removed one by one. */
  private removedGenerated: number[] = [];
  private explicit: string[] = [];
  /** Bumped on every change (paging tokens carry it). */
  version = 0;

  get size(): number {
    return (this.generated ? this.generated.count - this.removedGenerated.length : 0) + this.explicit.length;
  }

  describe(): { count: number; generated?: GenerateSpec & { removed: number }; explicit: number } {
    return { count: this.size, ...(this.generated ? { generated: { ...this.generated, removed: this.removedGenerated.length } } : {}), explicit: this.explicit.length };
  }

  replace(users: DirectoryUser[]): void {
    this.generated = undefined;
    this.removedGenerated = [];
    this.explicit = users.map((u) => JSON.stringify(u));
    this.version++;
  }

  generate(spec: GenerateSpec): void {
    this.generated = spec;
    this.seedHash = fnv1a(spec.seed);
    this.removedGenerated = [];
    this.explicit = [];
    this.version++;
  }

  /** Adds one user at the end; false when the key exists already or the list is full. */
  add(user: DirectoryUser): 'added' | 'duplicate' | 'full' {
    if (this.size >= MAX_USERS) return 'full';
    if (this.indexOfKey(userKey(user)) !== undefined) return 'duplicate';
    this.explicit.push(JSON.stringify(user));
    this.version++;
    return 'added';
  }

  /** Removes the user whose id, UPN, mail or phone is `key` (case-insensitive). */
  remove(key: string): boolean {
    const found = this.indexOfKey(key.toLowerCase());
    if (found === undefined) return false;
    if (found.kind === 'explicit') this.explicit.splice(found.index, 1);
    else {
      const at = lowerBound(this.removedGenerated, found.index);
      this.removedGenerated.splice(at, 0, found.index);
    }
    this.version++;
    return true;
  }

  /** The JSON text of user `i` (0 ≤ i < size). */
  json(i: number): string {
    const genCount = this.generated ? this.generated.count - this.removedGenerated.length : 0;
    if (this.generated && i < genCount) return JSON.stringify(generatedUser(this.generated, this.physical(i), this.seedHash));
    const s = this.explicit[i - genCount];
    if (s === undefined) throw new RangeError(`user ${i} of ${this.size}`);
    return s;
  }

  /** Logical index → index in the generated block, skipping removed ones (binary search on removed[j] - j). */
  private physical(i: number): number {
    const r = this.removedGenerated;
    let lo = 0;
    let hi = r.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((r[mid] ?? 0) - mid <= i) lo = mid + 1;
      else hi = mid;
    }
    return i + lo;
  }

  private indexOfKey(key: string): { kind: 'explicit' | 'generated'; index: number } | undefined {
    const needle = key.toLowerCase();
    for (let j = 0; j < this.explicit.length; j++) {
      const s = this.explicit[j] ?? '';
      if (!s.toLowerCase().includes(JSON.stringify(needle).slice(1, -1))) continue;
      if (userKey(JSON.parse(s) as DirectoryUser) === needle || matchesAnyId(JSON.parse(s) as DirectoryUser, needle)) return { kind: 'explicit', index: j };
    }
    if (this.generated) {
      // Generated UPNs end in .<index>@domain: find the index without scanning.
      const m = /\.(\d+)@/.exec(needle);
      const candidates = m ? [Number(m[1])] : [];
      for (const idx of candidates) {
        if (idx < this.generated.count && !this.isRemoved(idx) && matchesAnyId(generatedUser(this.generated, idx, this.seedHash), needle)) return { kind: 'generated', index: idx };
      }
      if (!m) {
        for (let idx = 0; idx < this.generated.count; idx++) {
          if (!this.isRemoved(idx) && matchesAnyId(generatedUser(this.generated, idx, this.seedHash), needle)) return { kind: 'generated', index: idx };
        }
      }
    }
    return undefined;
  }

  private isRemoved(idx: number): boolean {
    const at = lowerBound(this.removedGenerated, idx);
    return this.removedGenerated[at] === idx;
  }
}

function matchesAnyId(u: DirectoryUser, needle: string): boolean {
  const phones = Array.isArray(u['businessPhones']) ? (u['businessPhones'] as unknown[]) : [];
  return [u['id'], u['userPrincipalName'], u['mail'], u['mobilePhone'], ...phones].some((v) => typeof v === 'string' && v.toLowerCase() === needle);
}

function lowerBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] ?? 0) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
