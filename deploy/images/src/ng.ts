import { createSocket } from 'node:dgram';

// rtpengine's ng control protocol, enough for the smoke test of the rtpengine image:
// a datagram "<cookie> <bencoded dictionary>", answered by "<cookie> <bencoded
// dictionary>" (https://github.com/sipwise/rtpengine/blob/master/docs/ng_control_protocol.md).
// The images project may not use the rtpengine adapter library (type:adapter), so a
// small bencode of its own.

export type BencodeValue = string | number | BencodeValue[] | { [key: string]: BencodeValue };

/** Bencode: byte strings `<length>:<bytes>` (UTF-8), integers `i<n>e`, lists `l…e`, dictionaries `d…e` with sorted keys. */
export function bencode(value: BencodeValue): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([Buffer.from(`${bytes.length}:`), bytes]);
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`bencode: ${value} is not an integer`);
    return Buffer.from(`i${value}e`);
  }
  if (Array.isArray(value)) return Buffer.concat([Buffer.from('l'), ...value.map(bencode), Buffer.from('e')]);
  const entries = Object.entries(value).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Buffer.concat([Buffer.from('d'), ...entries.flatMap(([k, v]) => [bencode(k), bencode(v)]), Buffer.from('e')]);
}

/** The value bencoded in `data` (byte strings as UTF-8 text); throws naming the offset of anything malformed or left over. */
export function bdecode(data: Buffer): BencodeValue {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`bdecode: ${what} at byte ${at}`);
  };
  const readUntil = (end: string): string => {
    const stop = data.indexOf(end, at);
    if (stop < 0) fail(`no "${end}" after the ${data[at] === 0x69 ? 'integer' : 'length'}`);
    const text = data.subarray(at, stop).toString('latin1');
    at = stop + 1;
    return text;
  };
  const next = (): BencodeValue => {
    const byte = data[at];
    if (byte === undefined) return fail('unexpected end');
    const c = String.fromCharCode(byte);
    if (c === 'i') {
      at++;
      const text = readUntil('e');
      if (!/^-?\d+$/.test(text)) fail(`"${text}" is not an integer`);
      return Number(text);
    }
    if (c === 'l') {
      at++;
      const list: BencodeValue[] = [];
      while (data[at] !== 0x65) list.push(next());
      at++;
      return list;
    }
    if (c === 'd') {
      at++;
      const dict: Record<string, BencodeValue> = {};
      while (data[at] !== 0x65) {
        const key = next();
        if (typeof key !== 'string') fail('a dictionary key that is not a string');
        dict[key as string] = next();
      }
      at++;
      return dict;
    }
    if (c >= '0' && c <= '9') {
      const length = Number(readUntil(':'));
      if (!Number.isInteger(length) || at + length > data.length) fail(`a string of ${length} bytes past the end`);
      const text = data.subarray(at, at + length).toString('utf8');
      at += length;
      return text;
    }
    return fail(`unexpected "${c}"`);
  };
  const value = next();
  if (at !== data.length) fail(`${data.length - at} bytes left over`);
  return value;
}

/** Sends one datagram from 127.0.0.1 and resolves with the first answer; rejects after `timeoutMs`. */
export function udpExchange(host: string, port: number, payload: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const finish = () => {
      clearTimeout(timer);
      socket.close();
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (err) => {
      finish();
      reject(err);
    });
    socket.once('message', (msg) => {
      finish();
      resolve(msg);
    });
    socket.bind(0, '127.0.0.1', () => socket.send(payload, port, host));
  });
}

/** One ng command: its reply dictionary (the cookie checked). */
export async function ngCommand(host: string, port: number, command: Record<string, BencodeValue>, timeoutMs = 3000): Promise<Record<string, BencodeValue>> {
  const cookie = `smoke${Math.random().toString(36).slice(2, 10)}`;
  const answer = await udpExchange(host, port, Buffer.concat([Buffer.from(`${cookie} `), bencode(command)]), timeoutMs);
  const space = answer.indexOf(0x20);
  if (space < 0 || answer.subarray(0, space).toString() !== cookie) throw new Error(`ng: the answer does not start with the cookie ${cookie}: ${answer.toString().slice(0, 200)}`);
  const reply = bdecode(answer.subarray(space + 1));
  if (typeof reply !== 'object' || Array.isArray(reply)) throw new Error(`ng: the answer is not a dictionary: ${answer.toString().slice(0, 200)}`);
  return reply;
}
