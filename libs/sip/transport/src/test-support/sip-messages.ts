import { randomBytes } from 'node:crypto';

export interface OptionsRequestSpec {
  requestUri: string;
  /** Via transport token: UDP, TCP or TLS. */
  transport: 'UDP' | 'TCP' | 'TLS';
  /** Our sent-by in Via. */
  via: { host: string; port: number };
  callId?: string;
  extraHeaders?: string[];
}

/** An OPTIONS request written out by hand (RFC 3261 §8.1.1 mandatory headers, §11). */
export function optionsRequest(spec: OptionsRequestSpec): { bytes: Buffer; callId: string; branch: string } {
  const callId = spec.callId ?? `${randomBytes(8).toString('hex')}@sip-transport.test`;
  const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
  const text = [
    `OPTIONS ${spec.requestUri} SIP/2.0`,
    `Via: SIP/2.0/${spec.transport} ${spec.via.host}:${spec.via.port};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@carrier.test>;tag=${randomBytes(4).toString('hex')}`,
    `To: <${spec.requestUri}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    ...(spec.extraHeaders ?? []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return { bytes: Buffer.from(text), callId, branch };
}

/** The value of the first header `name` in a message (test-only; not a parser). */
export function headerValue(message: Buffer | string, name: string): string | undefined {
  const text = message.toString();
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  const re = new RegExp(`^${name}[ \\t]*:[ \\t]*(.*)$`, 'im');
  return re.exec(head)?.[1]?.trim();
}

/** A 200 to a request, copying Via, From, To, Call-ID, CSeq (RFC 3261 §8.2.6.2). */
export function okResponse(request: Buffer, extraHeaders: string[] = []): Buffer {
  const copy = ['Via', 'From', 'To', 'Call-ID', 'CSeq'].map((h) => `${h}: ${headerValue(request, h) ?? ''}`);
  return Buffer.from(['SIP/2.0 200 OK', ...copy, ...extraHeaders, 'Content-Length: 0', '', ''].join('\r\n'));
}

/** The status line of a response, e.g. "SIP/2.0 200 OK". */
export function startLine(message: Buffer): string {
  const text = message.toString();
  return text.slice(0, text.indexOf('\r\n'));
}
