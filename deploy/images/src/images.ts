import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository's root. */
export const repoRoot = resolve(__dirname, '../../..');

interface ImagesConfig {
  apps: Record<string, unknown>;
  thirdParty: Record<string, { context: string; versionArg: string }>;
}

function imagesConfig(): ImagesConfig {
  return JSON.parse(readFileSync(join(repoRoot, 'deploy/images/images.json'), 'utf8')) as ImagesConfig;
}

/** The apps that get an image, as deploy/images/images.json lists them. */
export function imageApps(): string[] {
  return Object.keys(imagesConfig().apps);
}

export interface ThirdPartyImage {
  name: string;
  /** The folder (relative to the repository) holding the Dockerfile and what it copies. */
  context: string;
  /** The Dockerfile's ARG whose default is the Debian package version. */
  versionArg: string;
}

/** The third-party images (rtpengine), as deploy/images/images.json lists them. */
export function thirdPartyImages(): ThirdPartyImage[] {
  return Object.entries(imagesConfig().thirdParty).map(([name, v]) => ({ name, ...v }));
}

/** A third-party image's tag: the upstream part of the Debian package version (10.5.3.5 of 10.5.3.5-1+deb12u1), as build-all.sh tags it. */
export function upstreamVersion(debianVersion: string): string {
  return debianVersion.replace(/-.*$/s, '');
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

/** The default value of a Dockerfile's `ARG <name>=<default>`; undefined when there is none. */
export function argDefault(instructions: DockerInstruction[], name: string): string | undefined {
  for (const i of instructions) {
    if (i.keyword !== 'ARG') continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(i.args);
    if (m?.[1] === name) return (m[2] ?? '').replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/** An instruction's exec form (JSON array); undefined when it is in shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.trim().startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not a JSON array of strings: ${args}`);
  return parsed as string[];
}
