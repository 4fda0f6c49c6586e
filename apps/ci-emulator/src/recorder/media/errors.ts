/** Why the media side refused: `code` is stable, `message` names the stream and the rule. */
export class MediaError extends Error {
  constructor(
    readonly code: 'ports-exhausted' | 'bad-offer' | 'session-exists' | 'closed' | 'file-error',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MediaError';
  }
}
