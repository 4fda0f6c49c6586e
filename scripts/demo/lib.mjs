// Shared by the demo scripts that `bash scripts/system.sh up|demo` runs: their
// settings (from the environment system.sh sets), HTTP(S) with the ci-emulator's
// test CA, and bounded waiting. Every failure is a DemoError whose message says
// what is wrong and what to do; nothing here retries without a bound.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';

export class DemoError extends Error {}
/** Thrown by a waitFor probe when waiting longer cannot help (a registration that failed). */
export class GiveUp extends DemoError {}

/** A required setting: system.sh passes every one; a missing one means the script was run on its own. */
function setting(name) {
  const v = process.env[name];
  if (!v) throw new DemoError(`${name} is not set: run this through \`bash scripts/system.sh up\` or \`bash scripts/system.sh demo\``);
  return v;
}

/** Everything the demo needs to know about the running system, from system.sh. */
export function demoConfig() {
  const certs = setting('DEMO_EMULATOR_CERTS');
  return {
    work: setting('DEMO_WORK'),
    run: setting('DEMO_RUN'),
    tenantId: setting('DEMO_TENANT'),
    appId: setting('DEMO_APP'),
    accountId: setting('DEMO_ACCOUNT_ID'),
    emulatorUrl: setting('DEMO_EMULATOR_URL'),
    certs,
    ca: readFileSync(join(certs, 'ca.pem')),
    registrationUrl: setting('DEMO_REGISTRATION_URL'),
    adminKeyFile: setting('DEMO_ADMIN_KEY_FILE'),
    policySyncUrl: setting('DEMO_POLICY_SYNC_URL'),
    sipSignalingUrl: setting('DEMO_SIP_SIGNALING_URL'),
    sipPort: Number(setting('DEMO_SIP_PORT')),
    uasPort: Number(setting('DEMO_UAS_PORT')),
    redisUrl: setting('DEMO_REDIS_URL'),
    redisPrefix: process.env['DEMO_REDIS_PREFIX'] || 'cic:',
    kafkaBrokers: setting('DEMO_KAFKA_BROKERS').split(','),
    eventsTopic: setting('DEMO_EVENTS_TOPIC'),
  };
}

/**
 * One HTTP(S) request with a timeout; HTTPS trusts `ca` (the emulator's test CA).
 * Resolves { status, headers, body (Buffer), json (parsed when the answer is JSON) };
 * rejects with a DemoError naming the URL when the server cannot be reached.
 */
export function http(url, { method = 'GET', headers = {}, json, form, ca, timeoutMs = 10_000 } = {}) {
  const u = new URL(url);
  let payload;
  const h = { ...headers };
  if (json !== undefined) {
    payload = Buffer.from(JSON.stringify(json));
    h['content-type'] = 'application/json';
  } else if (form !== undefined) {
    payload = Buffer.from(new URLSearchParams(form).toString());
    h['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (payload) h['content-length'] = String(payload.length);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(u, { method, headers: h, timeout: timeoutMs, ...(u.protocol === 'https:' ? { ca } : {}) }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (err) => reject(new DemoError(`${method} ${url}: the answer broke off (${err.message})`)));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        let parsed;
        if (/json/.test(res.headers['content-type'] ?? '')) {
          try {
            parsed = JSON.parse(body.toString('utf8'));
          } catch {
            parsed = undefined;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (err) => reject(new DemoError(`${method} ${url}: ${err.message}`)));
    req.end(payload);
  });
}

/** The answer's error message, for a DemoError (the services answer { error: { code, message } }). */
export function describeAnswer(r) {
  const e = r.json?.error;
  if (e && typeof e === 'object') return `${r.status} ${e.code ?? ''}: ${e.message ?? ''}`.trim();
  return `${r.status} ${r.body.toString('utf8').slice(0, 300)}`;
}

/**
 * Polls `probe` until it returns something other than undefined/false, every
 * `everyMs`, for at most `timeoutMs`; then a DemoError naming `what` (and the
 * last error or note the probe left, if any). A DemoError from the probe is
 * noted and the probe tried again; GiveUp and other errors end the wait.
 */
export async function waitFor(what, probe, timeoutMs, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await probe((note) => (last = note));
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      if (!(err instanceof DemoError) || err instanceof GiveUp) throw err;
      last = err.message;
    }
    if (Date.now() >= deadline) throw new DemoError(`gave up waiting for ${what} after ${Math.round(timeoutMs / 1000)} s${last ? ` (${last})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const say = (line = '') => process.stdout.write(`${line}\n`);

/** Runs main(); a DemoError ends the process with its message and exit 1, anything else with its stack. */
export function runMain(name, main) {
  main().then(
    (code) => process.exit(code ?? 0),
    (err) => {
      process.stderr.write(err instanceof DemoError ? `${name}: error: ${err.message}\n` : `${name}: unexpected error: ${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
