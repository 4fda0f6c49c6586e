/** Base class of every error this library throws: `code` is stable and machine-readable, the message names the problem. */
export class SiprecError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SiprecError';
  }
}

/** Clips a value quoted in an error message (input from the network may be long). */
export function clip(value: string, max = 60): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
