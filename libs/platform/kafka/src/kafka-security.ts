import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';

/**
 * TLS and SASL to the brokers, the same variables for every service:
 *
 *   KAFKA_TLS=true|false            TLS to the brokers (default false)
 *   KAFKA_TLS_CA_FILE=<pem>         CAs to trust (default: Node's built-in public CAs)
 *   KAFKA_TLS_CERT_FILE=<pem>       client certificate for mutual TLS (with KEY_FILE)
 *   KAFKA_TLS_KEY_FILE=<pem>        its private key
 *   KAFKA_TLS_SERVERNAME=<name>     the name checked in the broker's certificate, when not the host's
 *   KAFKA_SASL_MECHANISM=plain|scram-sha-256|scram-sha-512   (unset: no SASL)
 *   KAFKA_SASL_USERNAME=<user>
 *   KAFKA_SASL_PASSWORD=<password>  or KAFKA_SASL_PASSWORD_FILE=<file> (a mounted Secret)
 *
 * SASL without TLS sends the password in clear: allowed (a private network, a
 * sidecar), but said in `warnings`.
 */
/** The variables above, for the services' `.env.example` checks. */
export const KAFKA_SECURITY_VARIABLES = [
  'KAFKA_TLS',
  'KAFKA_TLS_CA_FILE',
  'KAFKA_TLS_CERT_FILE',
  'KAFKA_TLS_KEY_FILE',
  'KAFKA_TLS_SERVERNAME',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'KAFKA_SASL_PASSWORD_FILE',
] as const;

export interface KafkaSecurity {
  ssl?: ConnectionOptions | true;
  sasl?: SASLOptions;
  /** What an operator should know (logged at start). */
  warnings: string[];
  /** One line for the start-up log, without secrets. */
  summary: string;
}

export class KafkaSecurityError extends Error {
  constructor(readonly problems: string[]) {
    super(`Kafka security settings: ${problems.join('; ')}`);
    this.name = 'KafkaSecurityError';
  }
}

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
type Mechanism = (typeof MECHANISMS)[number];

export function kafkaSecurityFromEnv(env: NodeJS.ProcessEnv = process.env, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): KafkaSecurity {
  const problems: string[] = [];
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const file = (name: string): string | undefined => {
    const path = value(name);
    if (!path) return undefined;
    try {
      const text = read(path);
      if (!text.trim()) problems.push(`${name}: ${path} is empty`);
      return text;
    } catch (err) {
      problems.push(`${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return undefined;
    }
  };

  const tlsRaw = value('KAFKA_TLS')?.toLowerCase();
  let tls = false;
  if (tlsRaw !== undefined) {
    if (['true', '1', 'yes'].includes(tlsRaw)) tls = true;
    else if (!['false', '0', 'no'].includes(tlsRaw)) problems.push(`KAFKA_TLS: expected true or false, got ${JSON.stringify(env['KAFKA_TLS'])}`);
  }
  const tlsFiles = ['KAFKA_TLS_CA_FILE', 'KAFKA_TLS_CERT_FILE', 'KAFKA_TLS_KEY_FILE', 'KAFKA_TLS_SERVERNAME'].filter((n) => value(n) !== undefined);
  if (!tls && tlsFiles.length > 0) problems.push(`${tlsFiles.join(', ')} set but KAFKA_TLS is not true`);
  let ssl: ConnectionOptions | true | undefined;
  if (tls) {
    const ca = file('KAFKA_TLS_CA_FILE');
    const cert = file('KAFKA_TLS_CERT_FILE');
    const key = file('KAFKA_TLS_KEY_FILE');
    if ((value('KAFKA_TLS_CERT_FILE') === undefined) !== (value('KAFKA_TLS_KEY_FILE') === undefined)) problems.push('KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together (mutual TLS needs both)');
    const servername = value('KAFKA_TLS_SERVERNAME');
    const opts: ConnectionOptions = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(servername ? { servername } : {}) };
    ssl = Object.keys(opts).length > 0 ? { ...opts, rejectUnauthorized: true } : true;
  }

  let sasl: SASLOptions | undefined;
  const mechanismRaw = value('KAFKA_SASL_MECHANISM')?.toLowerCase();
  const username = value('KAFKA_SASL_USERNAME');
  const passwordInline = env['KAFKA_SASL_PASSWORD'];
  const passwordFile = value('KAFKA_SASL_PASSWORD_FILE');
  if (mechanismRaw === undefined) {
    const stray = ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE'].filter((n) => value(n) !== undefined);
    if (stray.length > 0) problems.push(`${stray.join(', ')} set but KAFKA_SASL_MECHANISM is not (plain, scram-sha-256 or scram-sha-512)`);
  } else if (!(MECHANISMS as readonly string[]).includes(mechanismRaw)) {
    problems.push(`KAFKA_SASL_MECHANISM: expected one of ${MECHANISMS.join(', ')}, got ${JSON.stringify(env['KAFKA_SASL_MECHANISM'])}`);
  } else {
    if (!username) problems.push('KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM');
    if (passwordInline && passwordFile) problems.push('KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE: set one, not both');
    let password = passwordInline;
    if (!passwordInline && passwordFile) password = file('KAFKA_SASL_PASSWORD_FILE')?.replace(/\r?\n$/, '');
    if (!password) problems.push('KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) is required with KAFKA_SASL_MECHANISM');
    if (username && password) sasl = { mechanism: mechanismRaw as Mechanism, username, password } as SASLOptions;
  }
  if (problems.length > 0) throw new KafkaSecurityError(problems);

  const warnings = sasl && !ssl ? [`SASL ${sasl.mechanism} without TLS (KAFKA_TLS=false): the credentials cross the network in clear`] : [];
  const summary = `${ssl ? `TLS${ssl !== true && ssl.cert ? ' (mutual)' : ''}` : 'plaintext'}${sasl ? `, SASL ${sasl.mechanism} as ${username}` : ''}`;
  return { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}), warnings, summary };
}

/**
 * kafkaSecurityFromEnv for createKafka: logs how the service talks to the
 * brokers (never a secret) and any warning; throws KafkaSecurityError (naming
 * each wrong variable) at start-up rather than at the first connection.
 */
export function kafkaConnectionSecurity(logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void }, env: NodeJS.ProcessEnv = process.env): Pick<KafkaSecurity, 'ssl' | 'sasl'> {
  const s = kafkaSecurityFromEnv(env);
  logger.info({ kafkaSecurity: s.summary }, 'kafka connection security');
  for (const w of s.warnings) logger.warn({ kafkaSecurity: s.summary }, w);
  return { ...(s.ssl ? { ssl: s.ssl } : {}), ...(s.sasl ? { sasl: s.sasl } : {}) };
}
