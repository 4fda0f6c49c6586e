import { Writable } from 'node:stream';
import { context, trace, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger } from './create-logger';
import { redactSdpKeys, redactSecretsInText } from './redact-text';
import { callContext } from './call-context';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('redacts credentials and key material, top level and nested', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 'svc', destination });
    log.info({ clientSecret: 's3cr3t', tenant: { id: 't1', apiKey: 'k-123' }, req: { headers: { authorization: 'Bearer abc', 'x-api-key': 'zzz' } } }, 'hello');
    expect(lines[0]).toMatchObject({ service: 'svc', level: 'info', msg: 'hello', clientSecret: '[redacted]', tenant: { id: 't1', apiKey: '[redacted]' } });
    expect(JSON.stringify(lines[0])).not.toMatch(/s3cr3t|k-123|Bearer abc|zzz/);
  });

  it('redacts request headers two levels down, leaves the caller\'s object alone, and keeps lines without secrets as they are', () => {
    const lines: Record<string, unknown>[] = [];
    const dest = { write: (chunk: string) => void lines.push(JSON.parse(chunk)) };
    const log = createLogger({ name: 'svc', destination: dest });
    const req = { method: 'POST', headers: { authorization: 'Bearer abc', cookie: 'c=1', 'x-api-key': 'k', accept: 'json' } };
    const obj = { req, headers: { 'x-api-key': 'k2', host: 'h' }, callId: 'c1', password: 'p', nested: { token: 't', keep: 1 } };
    log.info(obj, 'request');
    log.info({ callId: 'c2', recorder: { host: 'r', port: 5061 } }, 'plain');
    expect(lines[0]).toMatchObject({
      req: { method: 'POST', headers: { authorization: '[redacted]', cookie: '[redacted]', 'x-api-key': '[redacted]', accept: 'json' } },
      headers: { 'x-api-key': '[redacted]', host: 'h' },
      callId: 'c1',
      password: '[redacted]',
      nested: { token: '[redacted]', keep: 1 },
    });
    expect(req.headers.authorization).toBe('Bearer abc');
    expect(obj.password).toBe('p');
    expect(obj.nested.token).toBe('t');
    expect(lines[1]).toMatchObject({ callId: 'c2', recorder: { host: 'r', port: 5061 }, msg: 'plain' });
  });

  it('puts the active trace id on each line', () => {
    // What the OpenTelemetry SDK registers at start (instrumentation.ts).
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const { lines, destination } = capture();
    const log = createLogger({ name: 'svc', destination });
    const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
    context.with(trace.setSpanContext(ROOT_CONTEXT, spanContext), () => log.info('in a span'));
    log.info('outside');
    expect(lines[0]).toMatchObject({ traceId: spanContext.traceId, spanId: spanContext.spanId });
    expect(lines[1]).not.toHaveProperty('traceId');
  });

  it('child loggers carry the call context without undefined fields', () => {
    const { lines, destination } = capture();
    createLogger({ name: 'svc', destination }).child(callContext({ callId: 'c1', tenantId: 't1' })).warn('x');
    expect(lines[0]).toMatchObject({ callId: 'c1', tenantId: 't1' });
    expect(lines[0]).not.toHaveProperty('region');
  });
});

describe('redactSdpKeys', () => {
  it('removes SDES keys but keeps lifetime and MKI', () => {
    const sdp = 'm=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:bckPlyxG6j4/3JzzT4wXPyJ7hYHdYCTy3IPtkjfk|2^20|1:4\r\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:Prim5f8HmxbSyFEHhCv2wOpDoeTaYPExJNKBgljj\r\n';
    const out = redactSdpKeys(sdp);
    expect(out).toContain('a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[redacted]|2^20|1:4\r\n');
    expect(out).toContain('a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:[redacted]\r\n');
    expect(out).not.toMatch(/bckPly|Prim5f/);
  });

  it('redacts bearer tokens and client secrets in free text', () => {
    expect(redactSecretsInText('Authorization: Bearer eyJabc.def\r\n')).toBe('Authorization: Bearer [redacted]\r\n');
    expect(redactSecretsInText('grant_type=client_credentials&client_secret=xyz&scope=a')).toBe('grant_type=client_credentials&client_secret=[redacted]&scope=a');
  });
});
