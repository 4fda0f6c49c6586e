export { MediaReceiver, type MediaReceiverOptions, type MediaSession, type StreamAnswer, type StreamOffer, type StreamStats, type UpdateOptions } from './media-receiver';
export { MediaError } from './errors';
export { safeCallDir } from './safe-name';
