import { RtpengineError } from './errors';
import { completeAnswerCodecs, siprecOfferProblems, siprecSubscribeKeys } from './siprec';
import { createUdpTransport, NG_COMMAND, type NgMethod, type NgTransport } from './transport';

/** Any logger with pino's `(object, message)` methods. */
export interface RtpengineLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface RtpengineOptions {
  /** rtpengine's ng address (`listen-ng`) */
  host: string;
  port: number;
  /** how long one command may take before it fails with code `timeout` */
  timeoutMs: number;
  logger: RtpengineLogger;
  /** a `warning` in an `ok` reply fails the command (code `warning`) instead of being logged */
  strictWarnings?: boolean;
  /** where the control socket binds (default 127.0.0.1) */
  localAddress?: string;
  /** how many subscription offers to remember for `subscribeAnswer`'s codec completion (default 20,000) */
  maxRememberedSubscriptions?: number;
  /** replaces the UDP transport (tests) */
  transport?: NgTransport;
}

/** Extra ng keys; the keys a method sets itself cannot be overridden. */
export type NgExtra = Record<string, unknown>;

export interface OfferParams {
  callId: string;
  fromTag: string;
  sdp: string;
  flags?: string[];
  /** `ICE: remove`: strip ICE attributes */
  iceRemove?: boolean;
  extra?: NgExtra;
}

export interface AnswerParams {
  callId: string;
  fromTag: string;
  toTag: string;
  sdp: string;
  flags?: string[];
  iceRemove?: boolean;
  extra?: NgExtra;
}

export interface DeleteParams {
  callId: string;
  /** delete only this party's leg; without it the whole call */
  fromTag?: string;
  toTag?: string;
  extra?: NgExtra;
}

export interface QueryParams {
  callId: string;
  fromTag?: string;
  toTag?: string;
}

export interface MediaLabel {
  /** the call leg (SIP tag) this stream comes from */
  tag: string;
  /** the label, as in the SDP's `a=label` */
  label: string;
  type?: string;
  mode?: string;
  /** the stream's index within that leg's SDP */
  index?: number;
}

export interface SubscribeRequestParams {
  callId: string;
  /** the call's from-tag; informative: the SIPREC subscription takes every leg (`all`) */
  fromTag?: string;
  /** the recorder leg's tag (new; reusing one replaces that subscription) */
  toTag: string;
  /** more ng flags, after the SIPREC ones */
  flags?: string[];
  extra?: NgExtra;
}

export interface SubscribeRequestReply {
  /** the offer for the recorder: one m= per leg, sendonly, a=label, one AES_CM_128_HMAC_SHA1_80 a=crypto */
  sdp: string;
  /** label → the leg it comes from: rewrite labels from this, never by position */
  mediaLabels: Record<string, MediaLabel>;
  fromTags?: string[];
  toTag: string;
}

/**
 * How `subscribeAnswer` makes rtpengine 10.5 accept a recorder that answers
 * fewer codecs than offered:
 * - `keep-source` (default): add the missing codecs of the offer to the answer
 *   rtpengine sees; media is forwarded untouched (G.711 bit-exact)
 * - `allow-transcoding`: send the `allow transcoding` flag; rtpengine transcodes
 *   what the recorder did not accept
 * - `as-is`: send the answer unchanged (rtpengine refuses it if codecs are missing)
 */
export type SubscribeAnswerCodecs = 'keep-source' | 'allow-transcoding' | 'as-is';

export interface SubscribeAnswerParams {
  callId: string;
  toTag: string;
  /** the recorder's answer SDP */
  sdp: string;
  codecs?: SubscribeAnswerCodecs;
  /** the subscription offer, when this client did not make it (else remembered from subscribeRequest) */
  offerSdp?: string;
  flags?: string[];
  extra?: NgExtra;
}

export interface UnsubscribeParams {
  callId: string;
  toTag: string;
  extra?: NgExtra;
}

/** `query`'s reply without `result`: `tags` → each leg with its `medias` and stream stats. */
export type QueryReply = Record<string, unknown> & { tags?: Record<string, unknown>; created?: number };

export interface Rtpengine {
  offer(p: OfferParams): Promise<{ sdp: string }>;
  answer(p: AnswerParams): Promise<{ sdp: string }>;
  delete(p: DeleteParams): Promise<void>;
  query(p: QueryParams): Promise<QueryReply>;
  subscribeRequest(p: SubscribeRequestParams): Promise<SubscribeRequestReply>;
  subscribeAnswer(p: SubscribeAnswerParams): Promise<void>;
  unsubscribe(p: UnsubscribeParams): Promise<void>;
  /** resolves when rtpengine answers `pong` */
  ping(): Promise<void>;
  /** rejects what is pending with code `closed` and releases the socket */
  close(): Promise<void>;
}

type Dict = Record<string, unknown>;

// ------------------------------------------------------------- validation ---

function badRequest(method: NgMethod, callId: string | undefined, reason: string): RtpengineError {
  return new RtpengineError({ code: 'bad-request', command: NG_COMMAND[method], callId, reason });
}

function requireText(method: NgMethod, field: string, value: unknown, callId: string | undefined): string {
  if (typeof value !== 'string' || value.length === 0) throw badRequest(method, callId, `${field} must be a non-empty string, got ${describe(value)}`);
  // eslint-disable-next-line no-control-regex
  if (!/sdp/i.test(field) && /[\u0000-\u001f\u007f]/.test(value)) throw badRequest(method, callId, `${field} contains a control character`);
  return value;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return v.length === 0 ? 'an empty string' : `'${v.slice(0, 40)}'`;
  return typeof v;
}

function optionalText(method: NgMethod, field: string, value: unknown, callId: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return requireText(method, field, value, callId);
}

function flagList(method: NgMethod, value: unknown, callId: string | undefined): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((f) => typeof f !== 'string' || f.length === 0)) throw badRequest(method, callId, 'flags must be an array of non-empty strings');
  return value as string[];
}

/**
 * Bencode knows byte strings, integers, lists and dictionaries: anything else
 * (a boolean, a fraction, null) would be silently mangled by the encoder, so it
 * is refused, naming the key. `undefined` values are dropped.
 */
function checkEncodable(method: NgMethod, callId: string | undefined, value: unknown, path: string): unknown {
  if (value === undefined) return undefined;
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
    throw badRequest(method, callId, `${path} is ${value}: the ng protocol (bencode) carries integers only`);
  }
  if (Array.isArray(value)) return value.map((v, i) => checkEncodable(method, callId, v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Dict = {};
    for (const [k, v] of Object.entries(value)) {
      const c = checkEncodable(method, callId, v, `${path}.${k}`);
      if (c !== undefined) out[k] = c;
    }
    return out;
  }
  throw badRequest(method, callId, `${path} is ${value === null ? 'null' : typeof value}: the ng protocol (bencode) carries strings, integers, lists and dictionaries only (write 'yes'/'no' for a boolean)`);
}

function buildDict(method: NgMethod, callId: string | undefined, own: Dict, extra: unknown): Dict {
  const dict: Dict = {};
  if (extra !== undefined) {
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw badRequest(method, callId, 'extra must be an object of ng keys');
    for (const [k, v] of Object.entries(extra as Dict)) {
      if (k === 'command' || k in own) throw badRequest(method, callId, `extra.${k} is set by ${NG_COMMAND[method]} itself and cannot be overridden`);
      const c = checkEncodable(method, callId, v, `extra.${k}`);
      if (c !== undefined) dict[k] = c;
    }
  }
  for (const [k, v] of Object.entries(own)) if (v !== undefined) dict[k] = v;
  return dict;
}

/** Flags given in `extra.flags` and `flags` together, without repeats. */
function mergeFlags(...lists: string[][]): string[] {
  return [...new Set(lists.flat())];
}

// ------------------------------------------------------------------ client ---

export function createRtpengine(options: RtpengineOptions): Rtpengine {
  const { logger } = options;
  if (typeof options.host !== 'string' || options.host.length === 0) throw new TypeError(`createRtpengine: host must be a non-empty string, got ${describe(options.host)}`);
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new TypeError(`createRtpengine: port must be an integer 1-65535, got ${String(options.port)}`);
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) throw new TypeError(`createRtpengine: timeoutMs must be a positive number, got ${String(options.timeoutMs)}`);
  const strict = options.strictWarnings ?? false;
  const maxRemembered = options.maxRememberedSubscriptions ?? 20_000;
  const transport =
    options.transport ??
    createUdpTransport({
      host: options.host,
      port: options.port,
      timeoutMs: options.timeoutMs,
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      onError: (err) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'rtpengine control socket reported an error'),
    });

  /** subscription offers by call, then to-tag: what subscribeAnswer completes the answer from */
  const offers = new Map<string, Map<string, string>>();
  let remembered = 0;
  const remember = (callId: string, toTag: string, sdp: string) => {
    let byTag = offers.get(callId);
    if (!byTag) offers.set(callId, (byTag = new Map()));
    if (!byTag.has(toTag)) remembered++;
    byTag.set(toTag, sdp);
    while (remembered > maxRemembered) {
      const oldest = offers.keys().next();
      if (oldest.done) break;
      remembered -= offers.get(oldest.value)?.size ?? 0;
      offers.delete(oldest.value);
    }
  };
  const forget = (callId: string, toTag?: string) => {
    const byTag = offers.get(callId);
    if (!byTag) return;
    if (toTag === undefined) {
      remembered -= byTag.size;
      offers.delete(callId);
    } else if (byTag.delete(toTag)) {
      remembered--;
      if (byTag.size === 0) offers.delete(callId);
    }
  };

  /** Sends one command and checks the reply strictly; returns the reply dictionary. */
  async function call(method: NgMethod, dict: Dict, callId: string | undefined): Promise<Dict> {
    const command = NG_COMMAND[method];
    const raw = await transport.request(method, dict);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new RtpengineError({ code: 'bad-reply', command, callId, reason: `the reply is not a dictionary (${describe(raw)})` });
    }
    const reply = raw as Dict;
    const result = reply['result'];
    const want = method === 'ping' ? 'pong' : 'ok';
    if (result === 'error') {
      const reason = typeof reply['error-reason'] === 'string' ? reply['error-reason'] : 'no error-reason given';
      throw new RtpengineError({ code: 'error', command, callId, result, reason });
    }
    if (result !== want) {
      const msg = typeof reply['message'] === 'string' ? `: ${reply['message']}` : '';
      throw new RtpengineError({ code: 'error', command, callId, result: typeof result === 'string' ? result : undefined, reason: `result is ${describe(result)}, not '${want}'${msg}` });
    }
    const warning = reply['warning'];
    if (warning !== undefined) {
      const text = typeof warning === 'string' ? warning : JSON.stringify(warning);
      if (strict) throw new RtpengineError({ code: 'warning', command, callId, result: want, reason: text });
      logger.warn({ command, callId, warning: text }, 'rtpengine answered ok with a warning');
    }
    return reply;
  }

  function sdpOf(method: NgMethod, reply: Dict, callId: string): string {
    const sdp = reply['sdp'];
    if (typeof sdp !== 'string' || !sdp.startsWith('v=0')) throw new RtpengineError({ code: 'bad-reply', command: NG_COMMAND[method], callId, result: 'ok', reason: 'the reply carries no SDP' });
    return sdp;
  }

  async function offerOrAnswer(method: 'offer' | 'answer', p: OfferParams | AnswerParams): Promise<{ sdp: string }> {
    const callId = requireText(method, 'callId', p.callId, undefined);
    const own: Dict = {
      'call-id': callId,
      'from-tag': requireText(method, 'fromTag', p.fromTag, callId),
      ...(method === 'answer' ? { 'to-tag': requireText(method, 'toTag', (p as AnswerParams).toTag, callId) } : {}),
      sdp: requireText(method, 'sdp', p.sdp, callId),
    };
    const flags = mergeFlags(flagList(method, (p.extra as Dict | undefined)?.['flags'], callId), flagList(method, p.flags, callId));
    const { flags: _f, ...extra } = (p.extra ?? {}) as Dict;
    if (flags.length > 0) own['flags'] = flags;
    if (p.iceRemove === true) own['ICE'] = 'remove';
    const reply = await call(method, buildDict(method, callId, own, extra), callId);
    return { sdp: sdpOf(method, reply, callId) };
  }

  return {
    offer: (p) => offerOrAnswer('offer', p),
    answer: (p) => offerOrAnswer('answer', p),

    async delete(p) {
      const callId = requireText('delete', 'callId', p.callId, undefined);
      const own: Dict = { 'call-id': callId, 'from-tag': optionalText('delete', 'fromTag', p.fromTag, callId), 'to-tag': optionalText('delete', 'toTag', p.toTag, callId) };
      try {
        await call('delete', buildDict('delete', callId, own, p.extra), callId);
      } finally {
        if (p.fromTag === undefined && p.toTag === undefined) forget(callId);
      }
    },

    async query(p) {
      const callId = requireText('query', 'callId', p.callId, undefined);
      const own: Dict = { 'call-id': callId, 'from-tag': optionalText('query', 'fromTag', p.fromTag, callId), 'to-tag': optionalText('query', 'toTag', p.toTag, callId) };
      const { result: _r, ...rest } = await call('query', buildDict('query', callId, own, undefined), callId);
      return rest as QueryReply;
    },

    async subscribeRequest(p) {
      const m: NgMethod = 'subscribeRequest';
      const command = NG_COMMAND[m];
      const callId = requireText(m, 'callId', p.callId, undefined);
      const toTag = requireText(m, 'toTag', p.toTag, callId);
      const siprec = siprecSubscribeKeys();
      const { flags: extraFlags, ...extra } = (p.extra ?? {}) as Dict;
      const own: Dict = {
        ...siprec,
        'call-id': callId,
        'from-tag': optionalText(m, 'fromTag', p.fromTag, callId),
        'to-tag': toTag,
        flags: mergeFlags(siprec['flags'] as string[], flagList(m, extraFlags, callId), flagList(m, p.flags, callId)),
      };
      const reply = await call(m, buildDict(m, callId, own, extra), callId);
      const fail = async (reason: string): Promise<never> => {
        // rtpengine made the subscription: undo it so no fork is left behind
        await call('unsubscribe', { 'call-id': callId, 'to-tag': toTag }, callId).catch((e: unknown) =>
          logger.warn({ callId, toTag, err: e instanceof Error ? e.message : String(e) }, 'rtpengine unsubscribe after a bad subscribe reply failed'),
        );
        throw new RtpengineError({ code: 'bad-reply', command, callId, result: 'ok', reason });
      };
      const sdp = typeof reply['sdp'] === 'string' ? reply['sdp'] : undefined;
      if (sdp === undefined) return fail('the reply carries no SDP');
      const replyTag = reply['to-tag'];
      if (replyTag !== toTag) return fail(`the reply's to-tag is ${describe(replyTag)}, not '${toTag}'`);
      const rawLabels = reply['media-labels'];
      if (typeof rawLabels !== 'object' || rawLabels === null || Array.isArray(rawLabels)) return fail('the reply carries no media-labels dictionary');
      const mediaLabels: Record<string, MediaLabel> = {};
      for (const [label, v] of Object.entries(rawLabels as Dict)) {
        const e = (typeof v === 'object' && v !== null ? v : {}) as Dict;
        if (typeof e['tag'] !== 'string') return fail(`media-labels entry '${label}' has no tag`);
        mediaLabels[label] = {
          tag: e['tag'],
          label,
          ...(typeof e['type'] === 'string' ? { type: e['type'] } : {}),
          ...(typeof e['mode'] === 'string' ? { mode: e['mode'] } : {}),
          ...(typeof e['index'] === 'number' ? { index: e['index'] } : {}),
        };
      }
      const problems = siprecOfferProblems(sdp, Object.keys(mediaLabels));
      if (problems.length > 0) return fail(`the SIPREC offer is not what was asked for: ${problems.join('; ')}`);
      const fromTags = Array.isArray(reply['from-tags']) ? reply['from-tags'].filter((t): t is string => typeof t === 'string') : undefined;
      remember(callId, toTag, sdp);
      return { sdp, mediaLabels, ...(fromTags ? { fromTags } : {}), toTag };
    },

    async subscribeAnswer(p) {
      const m: NgMethod = 'subscribeAnswer';
      const callId = requireText(m, 'callId', p.callId, undefined);
      const toTag = requireText(m, 'toTag', p.toTag, callId);
      let sdp = requireText(m, 'sdp', p.sdp, callId);
      const policy = p.codecs ?? 'keep-source';
      if (!['keep-source', 'allow-transcoding', 'as-is'].includes(policy)) throw badRequest(m, callId, `codecs must be keep-source, allow-transcoding or as-is, got ${describe(policy)}`);
      const { flags: extraFlags, ...extra } = (p.extra ?? {}) as Dict;
      const flags = mergeFlags(flagList(m, extraFlags, callId), flagList(m, p.flags, callId));
      if (policy === 'allow-transcoding') flags.push('allow transcoding');
      if (policy === 'keep-source') {
        const offerSdp = optionalText(m, 'offerSdp', p.offerSdp, callId) ?? offers.get(callId)?.get(toTag);
        if (offerSdp === undefined) {
          logger.debug({ callId, toTag }, 'rtpengine subscribe answer: no subscription offer known, the answer goes as it is');
        } else {
          const done = completeAnswerCodecs(offerSdp, sdp);
          if (done.added.length > 0) logger.debug({ callId, toTag, added: done.added }, 'rtpengine subscribe answer: added the source codecs the recorder left out');
          sdp = done.sdp;
        }
      }
      const own: Dict = { 'call-id': callId, 'to-tag': toTag, sdp, ...(flags.length > 0 ? { flags } : {}) };
      await call(m, buildDict(m, callId, own, extra), callId);
    },

    async unsubscribe(p) {
      const m: NgMethod = 'unsubscribe';
      const callId = requireText(m, 'callId', p.callId, undefined);
      const toTag = requireText(m, 'toTag', p.toTag, callId);
      try {
        await call(m, buildDict(m, callId, { 'call-id': callId, 'to-tag': toTag }, p.extra), callId);
      } finally {
        forget(callId, toTag);
      }
    },

    async ping() {
      await call('ping', {}, undefined);
    },

    async close() {
      offers.clear();
      remembered = 0;
      await transport.close();
    },
  };
}
