/**
 * The media side the signalling drives, as the recorder's SIP code sees it:
 * the shape of `MediaReceiver` / `MediaSession` in ./media (SRTP in, WAV out),
 * kept here so the signalling can be unit-tested with a small fake.
 */
import type { StreamAnswer, StreamOffer } from './media';

export type { StreamAnswer, StreamOffer };

/** Per label: packets received/decoded/authFailed/lost/reordered…, wavPath, samplesWritten (whatever the media side reports). */
export type StreamStats = { label: string; wavPath?: string } & Record<string, unknown>;

export interface MediaSessionPort {
  readonly dir: string;
  answers(): StreamAnswer[];
  update(streams: StreamOffer[]): Promise<StreamAnswer[]>;
  stats(): StreamStats[];
  close(): Promise<StreamStats[]>;
}

export interface MediaPort {
  open(callId: string, streams: StreamOffer[]): Promise<MediaSessionPort>;
  activeSessions(): number;
  close(): Promise<void>;
}
