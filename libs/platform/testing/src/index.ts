export { stackEndpoints, stackWorkDir, stackComponentPid, stackUp, type StackEndpoints } from './local-stack';
export { waitFor } from './wait-for';
export { runSipp, type SippOptions, type SippResult } from './sipp';
export { freePort } from './free-port';
export {
  SrtpSender,
  deriveSrtpKeys,
  aesCmKeystream,
  srtpIv,
  srtpAuthTag,
  sdesInline,
  parseSdesInline,
  randomSrtpMaster,
  type SrtpSenderOptions,
  type ProtectOptions,
} from './srtp-sender';
export { ulawToLinear, alawToLinear, linearToUlaw, linearToAlaw, decodeG711, encodeG711, sineSamples, sineUlaw, sineAlaw, packetize, parseWav, pcm16Wav, type WavAudio } from './g711';
export { deleteRedisKeys } from './redis-keys';
export { udpPortBound } from './udp-bound';
export { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium';
