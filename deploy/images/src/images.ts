import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository's root. */
export const repoRoot = resolve(__dirname, '../../..');

/** The apps that get an image, as deploy/images/images.json lists them. */
export function imageApps(): string[] {
  const config = JSON.parse(readFileSync(join(repoRoot, 'deploy/images/images.json'), 'utf8')) as { apps: Record<string, unknown> };
  return Object.keys(config.apps);
}

/** The version every image is tagged with: the root package.json's. */
export function repoVersion(): string {
  return (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The default of a variable in the app's .env.example (`NAME=value   # comment`); undefined when not listed. */
export function envExampleDefault(app: string, name: string): string | undefined {
  const text = readFileSync(join(repoRoot, 'apps', app, '.env.example'), 'utf8');
  return new RegExp(`^${name}=(\\S*)`, 'm').exec(text)?.[1];
}

export interface DockerInstruction {
  /** Upper case: FROM, RUN, … */
  keyword: string;
  /** The rest of the instruction, continuation lines joined by a space. */
  args: string;
  /** Line of the file where it starts (1-based). */
  line: number;
}

/**
 * The instructions of a Dockerfile: comment lines dropped (also inside a
 * continued instruction, as BuildKit does), `\` continuations joined.
 */
export function parseDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  let current: DockerInstruction | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && !current)) return;
    const continues = line.endsWith('\\');
    const body = continues ? line.slice(0, -1).trim() : line;
    if (current) {
      current.args = `${current.args} ${body}`.trim();
    } else {
      const [, keyword, args] = /^([A-Za-z]+)\s*(.*)$/.exec(body) ?? [];
      if (keyword === undefined || args === undefined) throw new Error(`line ${i + 1}: not an instruction: ${raw}`);
      current = { keyword: keyword.toUpperCase(), args, line: i + 1 };
    }
    if (!continues) {
      out.push(current);
      current = undefined;
    }
  });
  if (current) throw new Error(`line ${current.line}: ${current.keyword} ends with a line continuation`);
  return out;
}

/** An instruction's exec form (JSON array); undefined when it is in shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.trim().startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not a JSON array of strings: ${args}`);
  return parsed as string[];
}
