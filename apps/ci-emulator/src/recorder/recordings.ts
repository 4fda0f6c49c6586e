import type { MediaSessionPort, StreamStats } from './media-port';
import type { ParsedMetadata } from './metadata';
import type { RuleId } from './rules';

export type HeaderPairs = [string, string][];

export interface RecordedRequest {
  method: string;
  cseq: string;
  at: string;
  /** Headers as received, in order. */
  headers: HeaderPairs;
  /** Our final answer: status and reason. */
  response?: { status: number; reason: string; warning?: string };
}

export interface TimelineEvent {
  at: string;
  event: string;
  detail?: string;
}

export type RecordingState = 'active' | 'paused' | 'ended';

export interface Recording {
  callId: string;
  tenantId?: string;
  accountId: string;
  state: RecordingState;
  startedAt: string;
  endedAt?: string;
  endReason?: string;
  labels: string[];
  requests: RecordedRequest[];
  metadata?: { xml: string; parsed: ParsedMetadata };
  /** Every offer/answer, oldest first. */
  sdp: { at: string; method: string; offer: string; answer: string }[];
  timeline: TimelineEvent[];
  /** The live media session while the call runs; closed at the end. */
  media?: MediaSessionPort;
  /** Stream statistics of the media session when it closed. */
  finalStats?: StreamStats[];
  mediaDir?: string;
  /** Set once the call ended: settles when the media session closed and the WAVs are final. */
  finalising?: Promise<void>;
  /** SDP o= session id and version of our answers (internal). */
  sdpSessionId: number;
  sdpVersion: number;
}

export type RejectionKind = 'connection' | 'invite' | 're-invite' | 'bye' | 'fault';

export interface Rejection {
  at: string;
  kind: RejectionKind;
  /** Rule id (RULES.md), or `fault-refuse` / `fault-no-answer` for injected faults. */
  rule: RuleId | 'tls-client-certificate' | 'tls-registered-certificate' | 'tls-source-network' | 'fault-refuse' | 'fault-no-answer' | 'media';
  status?: number;
  reason: string;
  callId?: string;
  remote?: { address: string; port: number };
  certificate?: { subject: string; issuer: string };
  headers?: HeaderPairs;
}

/** Recordings (by Call-ID, oldest first) and rejections, each bounded to `max` (the oldest dropped). */
export class RecordingStore {
  private readonly byCallId = new Map<string, Recording>();
  private readonly rejected: Rejection[] = [];

  constructor(private readonly max: number) {}

  add(rec: Recording): void {
    this.byCallId.delete(rec.callId);
    this.byCallId.set(rec.callId, rec);
    while (this.byCallId.size > this.max) {
      // Drop the oldest finished recording; when every one is live, the oldest.
      const victim = [...this.byCallId.values()].find((r) => r.state === 'ended') ?? this.byCallId.values().next().value;
      if (!victim) break;
      this.byCallId.delete(victim.callId);
    }
  }

  get(callId: string): Recording | undefined {
    return this.byCallId.get(callId);
  }

  list(): Recording[] {
    return [...this.byCallId.values()];
  }

  active(): Recording[] {
    return this.list().filter((r) => r.state !== 'ended');
  }

  /** Forgets the finished recordings (live ones stay: their calls are still running); returns how many went. */
  clearEnded(): number {
    let n = 0;
    for (const r of this.list()) {
      if (r.state === 'ended') {
        this.byCallId.delete(r.callId);
        n++;
      }
    }
    return n;
  }

  reject(r: Rejection): void {
    this.rejected.push(r);
    if (this.rejected.length > this.max) this.rejected.splice(0, this.rejected.length - this.max);
  }

  rejections(): Rejection[] {
    return [...this.rejected];
  }

  clearRejections(): void {
    this.rejected.length = 0;
  }
}
