import { z } from 'zod';

/** One bad environment variable: which, what was wrong, what it takes. */
export interface ConfigProblem {
  variable: string;
  problem: string;
  expects?: string;
  /** The value received, left out for secrets. */
  received?: string;
}

/** Thrown when the environment does not fit an app's schema; lists every bad variable at once. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(appName: string, problems: ConfigProblem[]) {
    const lines = problems.map((p) => {
      const got = p.received === undefined ? '' : ` (got ${JSON.stringify(p.received)})`;
      const expects = p.expects ? `; expects ${p.expects}` : '';
      return `  - ${p.variable}: ${p.problem}${got}${expects}`;
    });
    super(`${appName}: invalid configuration, ${problems.length} bad variable${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** The description of a field, looking through optional/default/pipe wrappers. */
function descriptionOf(field: z.ZodType | undefined): string | undefined {
  let current: unknown = field;
  for (let depth = 0; current && depth < 8; depth++) {
    const described = (current as z.ZodType).description;
    if (described) return described;
    const def = (current as { _zod?: { def?: { innerType?: unknown; in?: unknown } } })._zod?.def;
    current = def?.innerType ?? def?.in;
  }
  return undefined;
}

const SECRET = /(SECRET|PASSWORD|TOKEN|PRIVATE|_KEY$|^KEY$|CREDENTIAL)/i;

function describeIssue(issue: z.core.$ZodIssue, shape: Record<string, z.ZodType>, env: Record<string, string | undefined>): ConfigProblem {
  const variable = String(issue.path[0] ?? '(environment)');
  const raw = env[variable];
  const field = shape[variable];
  let problem: string;
  if (raw === undefined && issue.code === 'invalid_type') problem = 'missing';
  else if (issue.code === 'invalid_value' && 'values' in issue) problem = 'not one of the allowed values';
  else problem = issue.message;
  const out: ConfigProblem = { variable, problem };
  const expects = descriptionOf(field);
  if (expects) out.expects = expects;
  else if (issue.code === 'invalid_value' && 'values' in issue) out.expects = `one of ${(issue.values as unknown[]).join(', ')}`;
  if (raw !== undefined && !SECRET.test(variable)) out.received = raw;
  return out;
}

/**
 * Parses `env` with `schema` once, at start, and maps it to the app's typed nested
 * config. Every bad variable is reported in one ConfigError. Empty strings count as
 * unset, so `FOO=` falls back to the default instead of failing on "".
 */
export function loadConfig<S extends z.ZodObject, T>(
  appName: string,
  schema: S,
  env: Record<string, string | undefined>,
  map: (parsed: z.output<S>) => T,
): T {
  const cleaned: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    cleaned[key] = v === undefined || v.trim() === '' ? undefined : v;
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const seen = new Set<string>();
    const problems: ConfigProblem[] = [];
    for (const issue of result.error.issues) {
      const p = describeIssue(issue, schema.shape as Record<string, z.ZodType>, cleaned);
      if (seen.has(p.variable)) continue;
      seen.add(p.variable);
      problems.push(p);
    }
    throw new ConfigError(appName, problems);
  }
  return map(result.data);
}

/**
 * loadConfig for an app's entry point: on bad configuration it prints the one
 * message to stderr and exits with 78 (EX_CONFIG), before anything else starts.
 */
export function loadConfigOrExit<S extends z.ZodObject, T>(
  appName: string,
  schema: S,
  env: Record<string, string | undefined>,
  map: (parsed: z.output<S>) => T,
): T {
  try {
    return loadConfig(appName, schema, env, map);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}
