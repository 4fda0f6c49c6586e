/**
 * The media side the signalling drives, as the recorder's SIP code sees it:
 * the shape of `MediaReceiver` / `MediaSession` in ./media (SRTP in, WAV out),
 * kept here so the signalling can be unit-tested with a small fake.
 */
export interface StreamOffer {
  label: string;
  payloadTypes: { pt: number; encoding: string; clockRate: number }[];
  /** The a=crypto value, e.g. `1 AES_CM_128_HMAC_SHA1_80 inline:…`. */
  crypto: string;
  direction: 'sendonly' | 'inactive';
  remote: { address: string; port: number };
}

export interface StreamAnswer {
  label: string;
  port: number;
  rtcpPort: number;
  /** Our a=crypto value (same tag and suite, our key). */
  crypto: string;
  pt: number;
  telephoneEventPt?: number;
  direction: 'recvonly' | 'inactive';
}

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
