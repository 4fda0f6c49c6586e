import { createHash } from 'node:crypto';
import type { AppDef, EmulatorFileData, TenantDef, UsersShape } from '../config/emulator-file';
import type { RegistrationStore } from '../state/registrations';
import { UserList } from './users';

export interface DirectoryTenant {
  tenantId: string;
  displayName: string;
  /** clientId → the app roles admin-consented for it in this tenant (its service principal exists). */
  consents: Map<string, string[]>;
  users: UserList;
  usersResponse: { shape: UsersShape; pageSize: number };
}

/**
 * The emulated Entra directory: app registrations (secrets, certificates) and
 * customer tenants (consents, users to record, the users response shape).
 * `reset()` returns to what the emulator file says (registrations included).
 */
export class Directory {
  readonly apps = new Map<string, AppDef>();
  readonly tenants = new Map<string, DirectoryTenant>();

  constructor(
    private readonly initial: EmulatorFileData,
    private readonly registrations: RegistrationStore,
  ) {
    this.reset();
  }

  reset(): void {
    this.apps.clear();
    this.tenants.clear();
    for (const app of this.initial.apps) this.apps.set(app.clientId, app);
    for (const t of this.initial.tenants) this.putTenant(t);
    this.registrations.clear();
    for (const r of this.initial.registrations) {
      this.registrations.upsert({ tenantId: r.tenantId, clientId: r.clientId, ...r.fields, rawBody: r.raw });
    }
  }

  putApp(app: AppDef): 'created' | 'replaced' {
    const existed = this.apps.has(app.clientId);
    this.apps.set(app.clientId, app);
    return existed ? 'replaced' : 'created';
  }

  /** Creates or replaces a tenant's settings; its users are kept unless `def.users` is given. */
  putTenant(def: TenantDef): 'created' | 'replaced' {
    const existing = this.tenants.get(def.tenantId);
    const users = existing?.users ?? new UserList();
    if (def.users && 'list' in def.users) users.replace(def.users.list);
    else if (def.users && 'generate' in def.users) users.generate(def.users.generate);
    this.tenants.set(def.tenantId, {
      tenantId: def.tenantId,
      displayName: def.displayName,
      consents: new Map(def.consents.map((c) => [c.clientId, [...new Set(c.roles)]])),
      users,
      usersResponse: def.usersResponse,
    });
    return existing ? 'replaced' : 'created';
  }

  tenant(id: string): DirectoryTenant | undefined {
    return this.tenants.get(id.toLowerCase());
  }

  app(clientId: string): AppDef | undefined {
    return this.apps.get(clientId.toLowerCase());
  }
}

/** A stable object id for the app's service principal in a tenant (the token's `oid`/`sub`). */
export function servicePrincipalId(tenantId: string, clientId: string): string {
  const h = createHash('sha256').update(`sp:${tenantId}:${clientId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
