import { formatVia, parseCSeq, parseNameAddr, parseVia } from '../message/header-values';
import { headerKey } from '../message/header-names';
import { HeaderList } from '../message/headers';
import { splitOutside } from '../message/scan';
import type { CSeq, SipMessage, Via } from '../message/types';
import type { Destination, InboundSource } from './ports';

/** RFC 3261 §8.1.1.7: a branch starting with this was made by an RFC 3261 element. */
export const MAGIC_COOKIE = 'z9hG4bK';

/** The top Via, parsed; undefined when absent or malformed. */
export function topVia(msg: SipMessage): Via | undefined {
  const first = msg.headers.getAll('Via')[0];
  if (first === undefined) return undefined;
  try {
    return parseVia(first);
  } catch {
    return undefined;
  }
}

export function cseqOf(msg: SipMessage): CSeq | undefined {
  const value = msg.headers.get('CSeq');
  if (value === undefined) return undefined;
  try {
    return parseCSeq(value);
  } catch {
    return undefined;
  }
}

/** The tag parameter of From or To; undefined when absent or the header is malformed. */
export function tagOf(msg: SipMessage, header: 'From' | 'To'): string | undefined {
  const value = msg.headers.get(header);
  if (value === undefined) return undefined;
  try {
    return parseNameAddr(value).params['tag'] ?? undefined;
  } catch {
    return undefined;
  }
}

export function sentByOf(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port ?? ''}`;
}

const defaultPort = (protocol: string): number => (protocol === 'tls' ? 5061 : 5060);

/**
 * RFC 3261 §18.2.1 and RFC 3581 §4: the server transport adds `received` when
 * the sent-by host is not the packet's source address, and fills an empty
 * `rport` with the source port. Only the top Via value changes; the other
 * fields keep their order.
 */
export function stampReceived(msg: SipMessage, source: InboundSource): void {
  const fields = [...msg.headers];
  const at = fields.findIndex((f) => headerKey(f.name) === 'via');
  const field = fields[at];
  if (!field) return;
  const [first, ...rest] = splitOutside(field.value, ',');
  if (first === undefined) return;
  let via: Via;
  try {
    via = parseVia(first);
  } catch {
    return;
  }
  let changed = false;
  if (via.host.replace(/^\[|\]$/g, '').toLowerCase() !== source.remote.address.toLowerCase()) {
    via.params['received'] = source.remote.address;
    changed = true;
  }
  if ('rport' in via.params && via.params['rport'] === null) {
    via.params['rport'] = String(source.remote.port);
    changed = true;
  }
  if (!changed) return;
  fields[at] = { name: field.name, value: [formatVia(via), ...rest].join(', ') };
  msg.headers = new HeaderList(fields);
}

/**
 * Where responses to a request go (RFC 3261 §18.2.2, RFC 3581 §4): on a
 * reliable transport back over the same connection (falling back to the
 * source address and the sent-by port); on UDP to the source address and port
 * when the client asked for rport, otherwise to `received` (or the sent-by host)
 * and the sent-by port.
 */
export function responseDestination(via: Via | undefined, source: InboundSource): Destination {
  const protocol = source.protocol;
  const stripBrackets = (h: string) => h.replace(/^\[|\]$/g, '');
  if (protocol !== 'udp') {
    const dest: Destination = { protocol, host: source.remote.address, port: via?.port ?? defaultPort(protocol) };
    if (source.connectionId !== undefined) dest.connectionId = source.connectionId;
    return dest;
  }
  if (!via || via.params['rport'] !== undefined) return { protocol, host: source.remote.address, port: source.remote.port };
  const maddr = via.params['maddr'];
  if (maddr) return { protocol, host: stripBrackets(maddr), port: via.port ?? 5060 };
  const received = via.params['received'];
  return { protocol, host: stripBrackets(received ?? via.host), port: via.port ?? 5060 };
}

/** Copies a message deeply enough that later header edits on one do not show in the other. */
export function cloneMessage<M extends SipMessage>(msg: M): M {
  return { ...msg, headers: msg.headers.clone(), body: Buffer.from(msg.body) };
}
