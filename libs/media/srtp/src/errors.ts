/**
 * The one error type of this library: `code` is stable and machine-readable,
 * `message` names what is wrong (and where) for a person reading a log or a
 * SIP `Warning`.
 */
export class SrtpError extends Error {
  constructor(
    /** e.g. `bad-tag`, `bad-base64`, `bad-key-length`, `unsupported-suite`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SrtpError';
  }
}
