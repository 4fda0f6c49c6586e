import { createSocket, type RemoteInfo, type Socket, type SocketOptions } from 'node:dgram';
import { lookup as dnsLookup, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { TransportError } from './errors';
import { mapConnectError } from './error-mapping';
import type { BoundListener, ErrorHandler, Endpoint, InboundMessage, LookupFn, SendResult, SendTarget } from './types';

export interface UdpSettings {
  maxDatagramBytes: number;
  localAddress: string | undefined;
  lookup: LookupFn;
}

export interface UdpEvents {
  message(m: InboundMessage): void;
  error: ErrorHandler;
}

const STUN_MAGIC_COOKIE = 0x2112a442;

/**
 * RFC 5626 §4.4.2 keeps UDP flows alive with STUN (RFC 5389 §6: first two bits
 * zero, magic cookie at offset 4); some peers send bare CRLFs instead. Neither is
 * a SIP message. We do not answer STUN: no STUN client is among our peers.
 */
export function isKeepAliveDatagram(msg: Buffer): boolean {
  if (msg.length >= 20 && ((msg[0] ?? 0) & 0xc0) === 0 && msg.readUInt32BE(4) === STUN_MAGIC_COOKIE) return true;
  return msg.every((b) => b === 0x0d || b === 0x0a || b === 0x20 || b === 0x09);
}

/**
 * dgram's address lookup with IP literals answered at once: Node's own
 * (dns.lookup) answers them on the next tick, so every datagram to an address
 * waited for the rest of the sender's task. Names still go to dns.lookup (we
 * resolve them ourselves before sending; only bind could pass one).
 */
const literalFirst = ((host: string, options: unknown, callback: (err: Error | null, address: string, family: number) => void) => {
  const family = isIP(host);
  if (family !== 0) return callback(null, host, family);
  return dnsLookup(host, options as LookupOptions, callback as never);
}) as unknown as NonNullable<SocketOptions['lookup']>;

/** UDP listeners and sending: one datagram is one SIP message (RFC 3261 §18.1). */
export class UdpTransport {
  private readonly bound: Array<{ socket: Socket; listener: BoundListener }> = [];
  /** Sockets for sending when no listener of the target's family exists; they receive the answers too. */
  private readonly ephemeral = new Map<4 | 6, Promise<Socket>>();
  private readonly all = new Set<Socket>();
  private readonly locals = new WeakMap<Socket, Endpoint>();

  constructor(
    private readonly settings: UdpSettings,
    private readonly events: UdpEvents,
  ) {}

  listeners(): BoundListener[] {
    return this.bound.map((b) => b.listener);
  }

  async listen(host: string, port: number): Promise<BoundListener> {
    const family = isIP(host) === 6 ? 6 : 4;
    const socket = await this.open(family, host, port);
    const a = socket.address();
    const listener: BoundListener = { protocol: 'udp', address: a.address, port: a.port, family };
    this.bound.push({ socket, listener });
    return listener;
  }

  /**
   * Sends one datagram. To an IP address from a listening socket (every message
   * of a call in progress), the datagram leaves within this call, not after the
   * rest of the caller's task: a relayed 200 used to wait for everything its
   * 'answered' listeners did in the same tick (logging, the recording decision).
   */
  send(target: SendTarget, data: Buffer): Promise<SendResult> {
    if (data.length > this.settings.maxDatagramBytes) {
      // RFC 3261 §18.1.1: a message too big for UDP goes over a congestion-controlled transport.
      return Promise.reject(new TransportError('too-large', `${data.length} bytes do not fit one UDP datagram (limit ${this.settings.maxDatagramBytes}): use TCP or TLS`));
    }
    const family = isIP(target.host);
    const listener = family === 0 ? undefined : this.bound.find((b) => b.listener.family === family);
    if (listener) return this.sendFrom(listener.socket, target, target.host, data);
    return this.sendResolved(target, data);
  }

  private async sendResolved(target: SendTarget, data: Buffer): Promise<SendResult> {
    const ctx = { protocol: 'udp' as const, host: target.host, port: target.port, phase: 'lookup' as const };
    const address = isIP(target.host) ? target.host : (await this.settings.lookup(target.host).catch((err: unknown) => Promise.reject(mapConnectError(err, ctx)))).address;
    const socket = await this.socketFor(isIP(address) === 6 ? 6 : 4);
    return this.sendFrom(socket, target, address, data);
  }

  private sendFrom(socket: Socket, target: SendTarget, address: string, data: Buffer): Promise<SendResult> {
    return new Promise<SendResult>((resolve, reject) => {
      socket.send(data, target.port, address, (err) => {
        if (!err) resolve({ local: this.localOf(socket) });
        else if ((err as { code?: string }).code === 'EMSGSIZE') reject(new TransportError('too-large', `datagram of ${data.length} bytes refused by the OS (EMSGSIZE)`, { cause: err }));
        else reject(mapConnectError(err, { protocol: 'udp', host: target.host, port: target.port, address, phase: 'established' }));
      });
    });
  }

  async close(): Promise<void> {
    const sockets = [...this.all];
    this.all.clear();
    this.bound.length = 0;
    this.ephemeral.clear();
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private socketFor(family: 4 | 6): Promise<Socket> {
    // RFC 3261 §18.1.1: send from the listening port, so answers and in-dialog requests come back to it.
    const listener = this.bound.find((b) => b.listener.family === family);
    if (listener) return Promise.resolve(listener.socket);
    let pending = this.ephemeral.get(family);
    if (!pending) {
      pending = this.open(family, this.settings.localAddress ?? (family === 6 ? '::' : '0.0.0.0'), 0);
      this.ephemeral.set(family, pending);
      pending.catch(() => this.ephemeral.delete(family));
    }
    return pending;
  }

  private open(family: 4 | 6, host: string, port: number): Promise<Socket> {
    const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: false, lookup: literalFirst });
    return new Promise((resolve, reject) => {
      const onBindError = (err: Error) => {
        socket.close();
        reject(new TransportError('socket', `cannot bind udp ${host}:${port}: ${err.message}`, { cause: err }));
      };
      socket.once('error', onBindError);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', onBindError);
        this.all.add(socket);
        socket.on('error', (err) => this.events.error(new TransportError('socket', `udp ${host}:${port}: ${err.message}`, { cause: err })));
        socket.on('message', (msg, rinfo) => this.onDatagram(socket, msg, rinfo));
        resolve(socket);
      });
    });
  }

  /** A bound socket's address (asked once: `socket.address()` is a system call, and this runs for every datagram). */
  private localOf(socket: Socket): Endpoint {
    let local = this.locals.get(socket);
    if (!local) {
      const a = socket.address();
      local = { address: a.address, port: a.port };
      this.locals.set(socket, local);
    }
    return { ...local };
  }

  private onDatagram(socket: Socket, msg: Buffer, rinfo: RemoteInfo): void {
    const remote: Endpoint = { address: rinfo.address, port: rinfo.port };
    if (msg.length > this.settings.maxDatagramBytes) {
      this.events.error(new TransportError('too-large', `dropped a ${msg.length}-byte datagram from ${remote.address}:${remote.port} (limit ${this.settings.maxDatagramBytes})`, { remote }));
      return;
    }
    if (isKeepAliveDatagram(msg)) return;
    this.events.message({ data: msg, protocol: 'udp', remote, local: this.localOf(socket) });
  }
}
