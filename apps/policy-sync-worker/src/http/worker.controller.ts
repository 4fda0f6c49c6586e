import { BadRequestException, Controller, Get, HttpCode, Inject, NotFoundException, ConflictException, Param, Post, ServiceUnavailableException } from '@nestjs/common';
import type { TenantStore } from '@ci-connector/recording-policy';
import type { StatusService, WorkerStatus } from '../status/status-service';
import type { SyncRunner } from '../sync/sync-runner';

export const STATUS_SERVICE = Symbol('STATUS_SERVICE');
export const SYNC_RUNNER = Symbol('SYNC_RUNNER');
export const TENANT_STORE = Symbol('TENANT_STORE');

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The worker's own API (internal: bind it to loopback or a cluster network, the
 * carrier's admins use registration-service):
 * - `GET /status`: per tenant the live version, identities, users, syncedAt, the
 *   list's age, the last error, the next due time; `degraded` when a list is stale;
 * - `POST /tenants/{id}/sync`: sync now (any replica picks it up within a poll).
 */
@Controller()
export class WorkerController {
  constructor(
    @Inject(STATUS_SERVICE) private readonly status: StatusService,
    @Inject(SYNC_RUNNER) private readonly runner: Pick<SyncRunner, 'requestSync'>,
    @Inject(TENANT_STORE) private readonly tenants: Pick<TenantStore, 'get'>,
  ) {}

  @Get('status')
  async getStatus(): Promise<WorkerStatus> {
    try {
      return await this.status.status();
    } catch (err) {
      throw new ServiceUnavailableException({ error: 'unavailable', message: `status cannot be read: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  @Post('tenants/:id/sync')
  @HttpCode(202)
  async sync(@Param('id') id: string): Promise<{ tenantId: string; scheduledAt: string; trigger: 'on-demand' }> {
    if (!GUID_RE.test(id)) throw new BadRequestException({ error: 'bad-request', message: 'invalid tenant id', details: [{ field: 'id', message: 'not a GUID (Entra tenant id)' }] });
    const tenantId = id.toLowerCase();
    let tenant;
    try {
      tenant = await this.tenants.get(tenantId);
    } catch (err) {
      throw new ServiceUnavailableException({ error: 'unavailable', message: `tenants cannot be read: ${err instanceof Error ? err.message : String(err)}` });
    }
    if (!tenant) throw new NotFoundException({ error: 'not-found', message: `tenant ${tenantId} not found` });
    if (tenant.status.state !== 'registered') {
      throw new ConflictException({ error: 'not-registered', message: `tenant ${tenantId} is ${tenant.status.state}: only registered tenants are synced` });
    }
    const at = await this.runner.requestSync(tenantId, 'on-demand').catch((err: unknown) => {
      throw new ServiceUnavailableException({ error: 'unavailable', message: `the sync cannot be scheduled: ${err instanceof Error ? err.message : String(err)}` });
    });
    return { tenantId, scheduledAt: new Date(at).toISOString(), trigger: 'on-demand' };
  }
}
