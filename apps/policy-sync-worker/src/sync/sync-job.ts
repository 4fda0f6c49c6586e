import type { PolicyMeta, PolicyStore, PolicyWriter } from '@ci-connector/recording-policy';
import type { RecordingPolicyUpdatedV1 } from '@ci-connector/events';
import { errorHints, errorText, type Clock, type NormaliseUser, type SyncTrigger, type UsersSource } from './ports';

export interface SyncJobDeps {
  users: UsersSource;
  normalise: NormaliseUser;
  policies: PolicyStore;
  /** Publishes `recording-policy.updated` (key = tenant id); rejects when Kafka did not acknowledge. */
  publish(event: RecordingPolicyUpdatedV1): Promise<void>;
  clock: Clock;
}

export type SyncOutcome =
  | {
      kind: 'synced';
      meta: PolicyMeta;
      users: number;
      identities: number;
      /** Users that gave no usable identity (nothing to record them by). */
      skipped: number;
      pages: number;
      /** Set when the list is live but the event could not be published. */
      publishError?: string;
    }
  | { kind: 'failed'; error: string; retryable: boolean; retryAfterMs?: number; users: number; pages: number }
  | { kind: 'aborted'; reason: string; users: number; pages: number }
  /** A newer version went live while this one was written (another replica's sync); this one was dropped. */
  | { kind: 'superseded'; error: string; users: number; pages: number };

class SyncAborted extends Error {
  constructor(readonly reason: string) {
    super(`sync aborted: ${reason}`);
    this.name = 'SyncAborted';
  }
}

function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : typeof r === 'string' ? r : 'aborted';
}

/**
 * One sync of one tenant, streaming: the users are read page by page, each page
 * normalised and added to a fresh versioned set while the next page is fetched
 * (one page ahead at most, so memory stays bounded whatever the list's size),
 * then the pointer is switched in one step and the event published.
 *
 * Failure or abort at any point before the commit drops the partial set: the
 * last good list stays live. A failure (not an abort) is recorded in the
 * tenant's meta (lastError, lastAttemptAt). An aborted sync never commits.
 */
export async function syncTenant(
  tenant: { id: string; defaultCountry: string },
  trigger: SyncTrigger,
  deps: SyncJobDeps,
  signal: AbortSignal,
): Promise<SyncOutcome> {
  let users = 0;
  let identities = 0;
  let skipped = 0;
  let pages = 0;
  let writer: PolicyWriter;
  try {
    if (signal.aborted) throw new SyncAborted(abortReason(signal));
    writer = await deps.policies.begin(tenant.id);
  } catch (err) {
    return failure(err);
  }

  try {
    const pageIterator = deps.users.listUsers(tenant.id, { signal })[Symbol.asyncIterator]();
    let finished = false;
    try {
      let next = pageIterator.next();
      for (;;) {
        const page = await next;
        if (page.done) {
          finished = true;
          break;
        }
        if (signal.aborted) throw new SyncAborted(abortReason(signal));
        // Ask for the next page now: it downloads while this one is normalised and written.
        next = pageIterator.next();
        next.catch(() => undefined); // awaited on the next turn; never unhandled if we stop here
        pages++;
        const batch: string[] = [];
        for (const user of page.value) {
          users++;
          const before = batch.length;
          for (const identity of deps.normalise(user, tenant.defaultCountry)) batch.push(identity);
          if (batch.length === before) skipped++;
        }
        identities += batch.length;
        if (batch.length > 0) await writer.add(batch);
      }
    } finally {
      if (!finished) await Promise.resolve(pageIterator.return?.()).catch(() => undefined);
    }
    if (signal.aborted) throw new SyncAborted(abortReason(signal));
  } catch (err) {
    await writer.abort().catch(() => undefined);
    return failure(err);
  }

  let meta: PolicyMeta;
  try {
    meta = await writer.commit({ users });
  } catch (err) {
    await writer.abort().catch(() => undefined);
    if (err instanceof Error && err.name === 'PolicyVersionConflictError') return { kind: 'superseded', error: err.message, users, pages };
    return failure(err);
  }

  const event: RecordingPolicyUpdatedV1 = {
    type: 'recording-policy.updated',
    tenantId: tenant.id,
    version: meta.version ?? writer.version,
    identities: meta.identities ?? identities,
    users: meta.users ?? users,
    syncedAt: meta.syncedAt ?? new Date(deps.clock.now()).toISOString(),
    trigger,
  };
  try {
    await deps.publish(event);
    return { kind: 'synced', meta, users, identities, skipped, pages };
  } catch (err) {
    return { kind: 'synced', meta, users, identities, skipped, pages, publishError: errorText(err) };
  }

  async function failure(err: unknown): Promise<SyncOutcome> {
    // Once aborted, whatever the step failed with (a cancelled fetch, …) is the abort.
    if (err instanceof SyncAborted || signal.aborted) {
      return { kind: 'aborted', reason: err instanceof SyncAborted ? err.reason : abortReason(signal), users, pages };
    }
    const error = errorText(err);
    await deps.policies.recordFailure(tenant.id, error, new Date(deps.clock.now())).catch(() => undefined);
    return { kind: 'failed', error, ...errorHints(err), users, pages };
  }
}
