import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, envInt, envLogLevel, envPort, envUrl, loadConfigOrExit } from '@ci-connector/platform-config';

// The only place this app reads process.env. Every variable, its default and what
// it takes are listed in apps/ci-emulator/.env.example. Tenants, apps, users and
// pre-registered providers come from the JSON file EMULATOR_CONFIG names (see
// emulator-file.ts); everything can also be changed at run time under /emulator/.
const schema = z.object({
  HTTP_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address to bind the HTTPS server to'),
  HTTPS_PORT: envPort(18443),
  SIP_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address the SIPREC recorder listens on (SIPS/TLS)'),
  SIP_PORT: envPort(15061),
  MEDIA_HOST: z.string().trim().min(1).default('127.0.0.1').describe('the address the recorder receives SRTP on'),
  MEDIA_PORT_MIN: envPort(31000),
  MEDIA_PORT_MAX: envPort(31999),
  CERTS_DIR: z.string().trim().min(1).default('.local/ci-emulator/certs').describe('the folder scripts/mint-certs.sh writes; the defaults below are files in it'),
  TLS_CA: z.string().trim().min(1).optional().describe('PEM file of the CA(s) trusted for carrier client certificates (default CERTS_DIR/ca.pem)'),
  HTTPS_CERT: z.string().trim().min(1).optional().describe('PEM certificate of the HTTPS server (default CERTS_DIR/https.pem)'),
  HTTPS_KEY: z.string().trim().min(1).optional().describe('PEM key of the HTTPS server (default CERTS_DIR/https-key.pem)'),
  SIP_CERT: z.string().trim().min(1).optional().describe('PEM certificate of the recorder (default CERTS_DIR/recorder.pem)'),
  SIP_KEY: z.string().trim().min(1).optional().describe('PEM key of the recorder (default CERTS_DIR/recorder-key.pem)'),
  RECORDINGS_DIR: z.string().trim().min(1).default('.local/ci-emulator/recordings').describe('where the recorder writes one folder per call (WAV per label)'),
  MAX_RECORDINGS: envInt({ min: 1, max: 1_000_000, default: 1000 }),
  EMULATOR_CONFIG: z.string().trim().min(1).optional().describe('a JSON file with apps, tenants, users and registrations (emulator-file.ts)'),
  PUBLIC_URL: envUrl(['https']).optional().describe('the URL clients reach the HTTPS server at (default https://<HTTP_HOST>:<HTTPS_PORT>)'),
  LOG_LEVEL: envLogLevel('info'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: envUrl(['http', 'https']).optional(),
  OTEL_TRACES_SAMPLE_RATIO: z.coerce.number().min(0, 'below 0').max(1, 'above 1').default(1).describe('a number from 0 to 1'),
});

export interface EmulatorConfig {
  service: { name: string; version: string; region?: string };
  /** Everything HTTP (Entra token endpoint, providers API, /emulator/) is HTTPS: msal-node refuses a plain-HTTP authority. */
  https: { host: string; port: number; cert: string; key: string; publicUrl?: string };
  sip: { host: string; port: number; cert: string; key: string; ca: string };
  media: { host: string; portMin: number; portMax: number; recordingsDir: string; maxRecordings: number };
  configFile?: string;
  log: { level: string };
  telemetry: { otlpTracesEndpoint?: string; sampleRatio: number };
}

let loaded: EmulatorConfig | undefined;

/** Parses the environment once (instrumentation.ts and main.ts share it); exits 78 listing every bad variable. */
export function emulatorConfig(env: Record<string, string | undefined> = process.env): EmulatorConfig {
  loaded ??= buildConfig(env);
  return loaded;
}

/** Like emulatorConfig() but never cached (tests). */
export function buildConfig(env: Record<string, string | undefined>): EmulatorConfig {
  return loadConfigOrExit('ci-emulator', schema, env, (e) => {
    const certs = (file: string, override: string | undefined) => resolve(override ?? `${e.CERTS_DIR}/${file}`);
    if (e.MEDIA_PORT_MAX < e.MEDIA_PORT_MIN + 3) throw new ConfigError('ci-emulator', [{ variable: 'MEDIA_PORT_MAX', problem: `must be at least MEDIA_PORT_MIN + 3 (${e.MEDIA_PORT_MIN + 3})`, received: String(e.MEDIA_PORT_MAX) }]);
    return {
      service: { name: 'ci-emulator', version: '0.1.0' },
      https: { host: e.HTTP_HOST, port: e.HTTPS_PORT, cert: certs('https.pem', e.HTTPS_CERT), key: certs('https-key.pem', e.HTTPS_KEY), ...(e.PUBLIC_URL ? { publicUrl: e.PUBLIC_URL.replace(/\/$/, '') } : {}) },
      sip: { host: e.SIP_HOST, port: e.SIP_PORT, cert: certs('recorder.pem', e.SIP_CERT), key: certs('recorder-key.pem', e.SIP_KEY), ca: certs('ca.pem', e.TLS_CA) },
      media: { host: e.MEDIA_HOST, portMin: e.MEDIA_PORT_MIN, portMax: e.MEDIA_PORT_MAX, recordingsDir: resolve(e.RECORDINGS_DIR), maxRecordings: e.MAX_RECORDINGS },
      ...(e.EMULATOR_CONFIG ? { configFile: resolve(e.EMULATOR_CONFIG) } : {}),
      log: { level: e.LOG_LEVEL },
      telemetry: { ...(e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? { otlpTracesEndpoint: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT } : {}), sampleRatio: e.OTEL_TRACES_SAMPLE_RATIO },
    };
  });
}
