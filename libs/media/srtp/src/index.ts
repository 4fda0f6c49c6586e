export { SrtpError } from './errors';
export {
  AES_CM_128_HMAC_SHA1_80,
  formatCryptoAttribute,
  generateKeyingMaterial,
  parseCryptoAttribute,
  receivableCrypto,
  suiteKeyLengths,
  type CryptoAttribute,
  type CryptoKeyParam,
} from './crypto-attribute';
export { aesCm, deriveSessionKey, LABEL, packetIv, SrtpContext, type SrtpPolicy, type UnprotectFailure, type UnprotectResult } from './srtp';
export { REPLAY_WINDOW, ReplayWindow, type ReplayVerdict } from './replay';
export { buildRtp, looksLikeRtcp, parseRtp, parseTelephoneEvent, rtpHeaderLength, type RtpFields, type RtpPacket, type RtpParseResult, type TelephoneEvent } from './rtp';
export { alawToLinear, decodeG711, linearToAlaw, linearToMulaw, mulawToLinear, type G711Encoding } from './g711';
export { emptyStreamStats, SequenceTracker, type StreamStats } from './stats';
export { parseWav, WAV_HEADER_LENGTH, WAV_MAX_SAMPLES, WAV_SAMPLE_RATE, WavEncoder, wavHeader, type ParsedWav } from './wav';
export { AudioStreamReceiver, type AudioChunk, type AudioStreamOptions, type RtpOutcome } from './audio-stream';
