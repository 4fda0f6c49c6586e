/**
 * The providers registered per customer tenant through
 * `POST /api/v1.0/providers/tenants` (or preloaded from the emulator file). The
 * providers API writes it; the SIPREC recorder reads it to admit a TLS client
 * (certificate subject and issuer, source network) and to check X-AccountId.
 */
export interface Registration {
  /** The Entra tenant (the `tid` of the token that registered it). */
  tenantId: string;
  /** The app (client id) whose token registered it. */
  clientId: string;
  orgId: string;
  type: string;
  hosting: 'cloud' | 'on-premises';
  displayName: string;
  accountId: string;
  certificateSubjectName: string;
  certificateIssuer: string;
  /** An address or CIDR; `0.0.0.0` means no restriction. */
  sourceIpNetwork: string;
  registeredAt: string;
  updatedAt: string;
  /** The body exactly as received (for the inspection API). */
  rawBody?: unknown;
}

export class RegistrationStore {
  private readonly byTenant = new Map<string, Registration>();

  /** Registering again replaces the tenant's registration; returns whether it changed anything. */
  upsert(reg: Omit<Registration, 'registeredAt' | 'updatedAt'>, now = new Date()): { registration: Registration; created: boolean; changed: boolean } {
    const previous = this.byTenant.get(reg.tenantId);
    const comparable = (r: Partial<Registration>) => JSON.stringify({ ...r, registeredAt: undefined, updatedAt: undefined, rawBody: undefined });
    const changed = !previous || comparable(previous) !== comparable(reg);
    const registration: Registration = {
      ...reg,
      registeredAt: previous?.registeredAt ?? now.toISOString(),
      updatedAt: changed ? now.toISOString() : (previous?.updatedAt ?? now.toISOString()),
    };
    this.byTenant.set(reg.tenantId, registration);
    return { registration, created: !previous, changed };
  }

  get(tenantId: string): Registration | undefined {
    return this.byTenant.get(tenantId.toLowerCase()) ?? this.byTenant.get(tenantId);
  }

  list(): Registration[] {
    return [...this.byTenant.values()];
  }

  delete(tenantId: string): boolean {
    return this.byTenant.delete(tenantId);
  }

  clear(): void {
    this.byTenant.clear();
  }
}
