import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  createSipStack,
  HeaderList,
  newBranch,
  newCallId,
  newTag,
  parseMessage,
  parseNameAddr,
  serializeMessage,
  type Destination,
  type SipRequest,
  type SipResponse,
  type SipStack,
} from '@ci-connector/sip';
import { waitFor } from '@ci-connector/platform-testing';

// A SIPREC client (SRC) for tests: our own SIP stack with a carrier's TLS client
// certificate, sending whatever INVITE it is given — the seed's example INVITE,
// or one broken on purpose — and returning the recorder's answers as they came.
// It ACKs 2xx itself and builds in-dialog requests (re-INVITE, BYE) by hand, so a
// test can leave out any header.

const FIXTURES = join(__dirname, '../recorder/__fixtures__');

export interface SiprecClientOptions {
  /** The recorder's SIPS listener. */
  srs: { host: string; port: number; serverName?: string };
  /** CA(s) the recorder's certificate chains to. */
  ca: string | Buffer;
  /** The carrier's client certificate and key (mint-certs.sh carrier.pem). */
  cert: string | Buffer;
  key: string | Buffer;
}

/** A confirmed recording session as the SRC sees it. */
export interface ClientDialog {
  callId: string;
  /** From with our tag, To with the recorder's tag, as sent/received. */
  from: string;
  to: string;
  /** The recorder's Contact URI (Request-URI of in-dialog requests). */
  remoteTarget: string;
  contact: string;
  cseq: number;
  accountId: string;
  /** The 200 OK that set it up. */
  answer: SipResponse;
}

export interface InviteResult {
  response: SipResponse;
  provisional: SipResponse[];
  dialog?: ClientDialog;
}

export interface SeedInviteOptions {
  accountId: string;
  callId?: string;
  /** Ports and SDES inline keys (base64 of 30 bytes) per label; default the seed's. */
  media?: Partial<Record<'inbound' | 'outbound', { port?: number; inline?: string }>>;
}

/** The seed's INVITE, normalised (see __fixtures__/README.md), as bytes. */
export function seedInviteBytes(): Buffer {
  return readFileSync(join(FIXTURES, 'seed-invite.sip'));
}

/** A fresh base64 inline key (16-byte master key + 14-byte salt). */
export function randomInline(): string {
  return randomBytes(30).toString('base64');
}

/** Replaces `from` by `to` in the body (throws when `from` is not there, so a test never breaks nothing); fixes Content-Length. */
export function replaceInBody(req: SipRequest, from: string | RegExp, to: string): SipRequest {
  const text = req.body.toString('utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`replaceInBody: ${String(from)} is not in the body`);
  req.body = Buffer.from(next, 'utf8');
  req.headers.set('Content-Length', String(req.body.length));
  return req;
}

export class SiprecClient {
  private constructor(
    readonly stack: SipStack,
    private readonly opts: SiprecClientOptions,
  ) {}

  static async start(opts: SiprecClientOptions): Promise<SiprecClient> {
    const stack = await createSipStack({
      listen: [],
      transport: { tlsClient: { ca: opts.ca, identities: { carrier: { cert: opts.cert, key: opts.key } }, defaultIdentity: 'carrier' }, connectTimeoutMs: 5000 },
      sessionTimer: false,
      userAgent: 'ci-emulator test SRC',
    });
    return new SiprecClient(stack, opts);
  }

  get dest(): Destination {
    return { protocol: 'tls', host: this.opts.srs.host, port: this.opts.srs.port, serverName: this.opts.srs.serverName ?? this.opts.srs.host };
  }

  /** The seed's INVITE addressed to the recorder, with a fresh branch, From tag and Call-ID, the given AccountId, ports and keys. */
  seedInvite(o: SeedInviteOptions): SipRequest {
    const req = parseMessage(seedInviteBytes()) as SipRequest;
    const { host, port } = this.opts.srs;
    req.uri = `sip:SRS@${host}:${port};transport=tls`;
    req.headers.set('To', `<sip:SRS@${host}:${port};transport=tls>`);
    req.headers.set('From', `<sip:SRC@sip.provider.com>;tag=${newTag()}`);
    req.headers.set('Call-ID', o.callId ?? newCallId());
    req.headers.set('X-AccountId', o.accountId);
    const seed = { inbound: { port: 15352, inline: 'bckPlyxG6j4/3JzzT4wXPyJ7hYHdYCTy3IPtkjfk' }, outbound: { port: 16022, inline: 'Prim5f8HmxbSyFEHhCv2wOpDoeTaYPExJNKBgljj' } };
    for (const label of ['inbound', 'outbound'] as const) {
      const want = o.media?.[label];
      if (want?.port !== undefined) replaceInBody(req, `m=audio ${seed[label].port} `, `m=audio ${want.port} `);
      if (want?.inline !== undefined) replaceInBody(req, `inline:${seed[label].inline}`, `inline:${want.inline}`);
    }
    return req;
  }

  /** Sends an INVITE (any content); ACKs a 2xx; returns the final response, the provisionals and, on 2xx, the dialog. */
  async invite(input: SipRequest | string | Buffer): Promise<InviteResult> {
    const req = typeof input === 'string' || Buffer.isBuffer(input) ? (parseMessage(Buffer.from(input)) as SipRequest) : input;
    this.freshBranch(req);
    req.headers.set('Content-Length', String(req.body.length));
    const provisional: SipResponse[] = [];
    const tx = this.stack.transactions.request(req, this.dest, { onProvisional: (r) => void provisional.push(r) });
    const response = await tx.result;
    if (response.status < 200 || response.status >= 300) return { response, provisional };
    const to = response.headers.get('To') ?? '';
    const contact = response.headers.get('Contact') ?? '';
    const dialog: ClientDialog = {
      callId: req.headers.get('Call-ID') ?? '',
      from: req.headers.get('From') ?? '',
      to,
      remoteTarget: contact ? parseUriOf(contact) : req.uri,
      contact: req.headers.get('Contact') ?? '<sip:SRC@127.0.0.1>;+sip.src',
      cseq: Number((req.headers.get('CSeq') ?? '1').split(/\s+/)[0]),
      accountId: req.headers.get('X-AccountId') ?? '',
      answer: response,
    };
    this.ack(dialog, dialog.cseq);
    return { response, provisional, dialog };
  }

  /** A re-INVITE in the dialog with this body (multipart or SDP) and headers; ACKs a 2xx. X-AccountId is added unless `accountId: null`. */
  async reinvite(d: ClientDialog, o: { body: string | Buffer; contentType: string; headers?: [string, string][]; accountId?: string | null }): Promise<SipResponse> {
    d.cseq += 1;
    const req = this.inDialog(d, 'INVITE', o.accountId === undefined ? d.accountId : o.accountId, o.headers);
    req.headers.append('Contact', d.contact);
    req.body = Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body);
    req.headers.set('Content-Type', o.contentType);
    req.headers.set('Content-Length', String(req.body.length));
    const res = await this.stack.transactions.request(req, this.dest).result;
    if (res.status >= 200 && res.status < 300) this.ack(d, d.cseq);
    return res;
  }

  /** BYE with X-AccountId (the dialog's unless given; `null` leaves it out). */
  async bye(d: ClientDialog, o: { accountId?: string | null; headers?: [string, string][] } = {}): Promise<SipResponse> {
    d.cseq += 1;
    const req = this.inDialog(d, 'BYE', o.accountId === undefined ? d.accountId : o.accountId, o.headers);
    req.headers.set('Content-Length', '0');
    return this.stack.transactions.request(req, this.dest).result;
  }

  /** Any request outside a dialog (OPTIONS ping); the final response. */
  async options(): Promise<SipResponse> {
    const { host, port } = this.opts.srs;
    return this.stack.ua.request({ method: 'OPTIONS', uri: `sips:SRS@${host}:${port}`, dest: this.dest, from: '<sip:SRC@sip.provider.com>' });
  }

  /** Waits until the recorder has closed our TLS connection(s). */
  async connectionClosed(timeoutMs = 10_000): Promise<void> {
    await waitFor('the recorder to close the TLS connection', () => this.stack.transport.connections().length === 0, timeoutMs, 20);
  }

  async close(): Promise<void> {
    await this.stack.close();
  }

  private inDialog(d: ClientDialog, method: string, accountId: string | null, extra: [string, string][] = []): SipRequest {
    const headers = HeaderList.from([
      ['Max-Forwards', '70'],
      ['From', d.from],
      ['To', d.to],
      ['Call-ID', d.callId],
      ['CSeq', `${d.cseq} ${method}`],
    ]);
    if (accountId !== null) headers.append('X-AccountId', accountId);
    for (const [n, v] of extra) headers.append(n, v);
    return { kind: 'request', version: 'SIP/2.0', method, uri: d.remoteTarget, headers, body: Buffer.alloc(0) };
  }

  private ack(d: ClientDialog, cseq: number): void {
    const headers = HeaderList.from([
      ['Via', `SIP/2.0/TLS 127.0.0.1;branch=${newBranch()}`],
      ['Max-Forwards', '70'],
      ['From', d.from],
      ['To', d.to],
      ['Call-ID', d.callId],
      ['CSeq', `${cseq} ACK`],
      ['Content-Length', '0'],
    ]);
    this.stack.transactions.send({ kind: 'request', version: 'SIP/2.0', method: 'ACK', uri: d.remoteTarget, headers, body: Buffer.alloc(0) }, this.dest);
  }

  private freshBranch(req: SipRequest): void {
    const vias = req.headers.getAll('Via');
    if (vias.length === 0) return; // the transaction layer adds one
    const [top, ...rest] = vias;
    const fresh = (top ?? '').match(/branch=/i) ? (top ?? '').replace(/branch=[^;,\s]+/i, `branch=${newBranch()}`) : `${top};branch=${newBranch()}`;
    req.headers.delete('Via');
    const others = [...req.headers].map((f) => [f.name, f.value] as [string, string]);
    const rebuilt = HeaderList.from([['Via', fresh], ...rest.map((v) => ['Via', v] as [string, string]), ...others]);
    req.headers = rebuilt;
  }
}

function parseUriOf(nameAddr: string): string {
  parseNameAddr(nameAddr); // throws when it does not parse
  const lt = nameAddr.indexOf('<');
  return lt >= 0 ? nameAddr.slice(lt + 1, nameAddr.indexOf('>', lt)) : (nameAddr.split(';')[0] ?? nameAddr).trim();
}

/** The response as text (for error messages in tests). */
export function show(res: SipResponse): string {
  return serializeMessage(res).toString('utf8');
}
