import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { argDefault, envExampleDefault, execForm, imageApps, parseDockerfile, repoRoot, thirdPartyImages, upstreamVersion, type DockerInstruction } from './images';

// What every app's Dockerfile must say (deploy/images/README.md), read from the files
// themselves: no image is built here (the int-test builds and runs them).

const apps = imageApps();

function dockerfile(app: string): DockerInstruction[] {
  return parseDockerfile(readFileSync(join(repoRoot, 'apps', app, 'Dockerfile'), 'utf8'));
}

function only(instructions: DockerInstruction[], keyword: string): DockerInstruction {
  const found = instructions.filter((i) => i.keyword === keyword);
  if (found.length !== 1) throw new Error(`expected one ${keyword}, found ${found.length}`);
  return found[0]!;
}

/** The node command line of the app's `serve` target, relative to the app's build (dist/<app>/). */
function serveCommand(app: string): string[] {
  const project = JSON.parse(readFileSync(join(repoRoot, 'apps', app, 'project.json'), 'utf8')) as { targets: { serve: { options: { command: string } } } };
  const command = project.targets.serve.options.command.split('&&').pop()!.trim();
  return command.split(/\s+/).map((arg) => arg.replace(`./dist/${app}/`, './'));
}

describe('the images', () => {
  it('are the apps that ship, and only those have a Dockerfile', () => {
    const withDockerfile = readdirSync(join(repoRoot, 'apps')).filter((a) => existsSync(join(repoRoot, 'apps', a, 'Dockerfile')));
    expect(withDockerfile.sort()).toEqual([...apps].sort());
    expect(apps).toEqual(expect.arrayContaining(['registration-service', 'policy-sync-worker', 'sip-signaling', 'call-events', 'widget-gateway', 'ci-emulator']));
    expect(apps).not.toContain('skeleton');
    expect(apps).not.toContain('realtime-e2e');
  });
});

describe.each(apps)('apps/%s/Dockerfile', (app) => {
  const instructions = dockerfile(app);

  it('defaults to the official Node 24 image and takes another through BASE_IMAGE', () => {
    expect(instructions[0]).toMatchObject({ keyword: 'ARG', args: 'BASE_IMAGE=node:24-bookworm-slim' });
    expect(only(instructions, 'FROM').args).toBe('${BASE_IMAGE}');
    expect(instructions.findIndex((i) => i.keyword === 'FROM')).toBe(1);
  });

  it('runs as the non-root user 10001', () => {
    const users = instructions.filter((i) => i.keyword === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const last = users[users.length - 1]!.args;
    expect(last).toMatch(/^10001(:10001)?$/);
    // USER comes after every RUN: nothing of the app's runs as root
    const lastRun = instructions.map((i) => i.keyword).lastIndexOf('RUN');
    expect(instructions.indexOf(users[users.length - 1]!)).toBeGreaterThan(lastRun);
  });

  it('has tini as PID 1, installed only when the base lacks it', () => {
    expect(execForm(only(instructions, 'ENTRYPOINT').args)).toEqual(['tini', '--']);
    const run = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
    expect(run).toMatch(/if ! command -v tini .*then .*apt-get install -y --no-install-recommends tini/);
  });

  it('starts the app as its serve target does, from /app', () => {
    expect(only(instructions, 'WORKDIR').args).toBe('/app');
    expect(execForm(only(instructions, 'CMD').args)).toEqual(serveCommand(app));
  });

  it('checks its health with node against /health/live on the app\'s port', () => {
    const hc = only(instructions, 'HEALTHCHECK').args;
    const [options, cmd] = hc.split(/\s+CMD\s+/);
    expect(options).toMatch(/--interval=\S+/);
    expect(options).toMatch(/--timeout=\S+/);
    const argv = execForm(cmd!)!;
    expect(argv.slice(0, 2)).toEqual(['node', '-e']);
    const script = argv[2]!;
    expect(script).toContain("path:'/health/live'");
    const portVariable = app === 'ci-emulator' ? 'HTTPS_PORT' : 'HTTP_PORT';
    const port = envExampleDefault(app, portVariable);
    expect(port).toMatch(/^\d+$/);
    expect(script).toContain(`port:process.env.${portVariable}||${port}`);
    // the script must at least compile
    expect(() => new Function(script)).not.toThrow();
  });

  it('exposes the HTTP port, and the metrics port when the app has one', () => {
    const exposed = instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    const port = envExampleDefault(app, app === 'ci-emulator' ? 'HTTPS_PORT' : 'HTTP_PORT');
    expect(exposed).toContain(`${port}/tcp`);
    const metrics = envExampleDefault(app, 'METRICS_PORT');
    if (metrics) expect(exposed).toContain(`${metrics}/tcp`);
    else expect(exposed).not.toContain('9464/tcp');
  });

  it('carries the OCI labels, the version from a build argument', () => {
    const labels = instructions.filter((i) => i.keyword === 'LABEL').map((i) => i.args).join(' ');
    for (const key of ['title', 'description', 'version', 'revision', 'licenses', 'base.name']) {
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    }
    expect(labels).toContain('org.opencontainers.image.version="${VERSION}"');
    expect(instructions.some((i) => i.keyword === 'ARG' && i.args.startsWith('VERSION'))).toBe(true);
  });
});

describe('deploy/images/rtpengine/Dockerfile', () => {
  const rtpengine = thirdPartyImages().find((i) => i.name === 'rtpengine')!;
  const dir = join(repoRoot, rtpengine.context);
  const instructions = parseDockerfile(readFileSync(join(dir, 'Dockerfile'), 'utf8'));
  const run = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
  // What the chart runs it with (charts/ci-connector/values.yaml, rtpengine.*).
  const chart = (parse(readFileSync(join(repoRoot, 'charts/ci-connector/values.yaml'), 'utf8')) as { rtpengine: { image: { repository: string; tag: string }; ngPort: number; httpPort: number; containerSecurityContext: { runAsUser: number } } }).rtpengine;

  it('is listed in images.json with its version argument', () => {
    expect(rtpengine).toEqual({ name: 'rtpengine', context: 'deploy/images/rtpengine', versionArg: 'RTPENGINE_VERSION' });
  });

  it('defaults to the official Debian bookworm slim image and takes another through BASE_IMAGE', () => {
    expect(instructions[0]).toMatchObject({ keyword: 'ARG', args: 'BASE_IMAGE=debian:bookworm-slim' });
    expect(only(instructions, 'FROM').args).toBe('${BASE_IMAGE}');
    expect(instructions.findIndex((i) => i.keyword === 'FROM')).toBe(1);
  });

  it("pins Debian's rtpengine-daemon, whose upstream version is the chart's image tag and the version label", () => {
    const version = argDefault(instructions, 'RTPENGINE_VERSION');
    expect(version).toMatch(/^\d+\.\d+\.\d+\.\d+-\S+$/);
    expect(`ci-connector/rtpengine:${upstreamVersion(version!)}`).toBe(`${chart.image.repository}:${chart.image.tag}`);
    expect(run).toContain('apt-get install -y --no-install-recommends "rtpengine-daemon=${RTPENGINE_VERSION}" tini');
    const labels = instructions.filter((i) => i.keyword === 'LABEL').map((i) => i.args).join(' ');
    expect(labels).toContain('org.opencontainers.image.version="${RTPENGINE_VERSION}"');
    for (const key of ['title', 'description', 'revision', 'licenses', 'base.name']) expect(labels).toContain(`org.opencontainers.image.${key}=`);
  });

  it("runs as the chart's non-root user 10001, created before the package's postinst needs it", () => {
    expect(chart.containerSecurityContext.runAsUser).toBe(10001);
    const users = instructions.filter((i) => i.keyword === 'USER');
    expect(users[users.length - 1]!.args).toBe('10001:10001');
    expect(instructions.indexOf(users[users.length - 1]!)).toBeGreaterThan(instructions.map((i) => i.keyword).lastIndexOf('RUN'));
    expect(run.indexOf('useradd --uid 10001 --gid 10001')).toBeGreaterThanOrEqual(0);
    expect(run.indexOf('useradd --uid 10001')).toBeLessThan(run.indexOf('apt-get install'));
  });

  it('has tini as PID 1 in front of rtpengine, with its health check the ng ping', () => {
    expect(execForm(only(instructions, 'ENTRYPOINT').args)).toEqual(['tini', '--', 'rtpengine']);
    const [options, cmd] = only(instructions, 'HEALTHCHECK').args.split(/\s+CMD\s+/);
    expect(options).toMatch(/--interval=\S+ --timeout=\S+/);
    expect(execForm(cmd!)).toEqual(['rtpengine-ping']);
    const copies = instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toEqual(expect.arrayContaining(['rtpengine.conf /etc/rtpengine/rtpengine.conf', '--chmod=755 rtpengine-ping /usr/local/bin/rtpengine-ping']));
    expect(statSync(join(dir, 'rtpengine-ping')).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(dir, 'rtpengine-ping'), 'utf8')).toMatch(/^#!\/usr\/bin\/perl\n/);
  });

  it("exposes the chart's ng and metrics ports", () => {
    const exposed = instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    expect(exposed).toEqual([`${chart.ngPort}/udp`, `${chart.httpPort}/tcp`]);
  });

  it('ships a config for userspace on the loopback, never the packaged table 0 / interface any', () => {
    const conf = readFileSync(join(dir, 'rtpengine.conf'), 'utf8');
    const settings = Object.fromEntries(
      conf
        .split('\n')
        .filter((l) => /^\s*[a-z-]+\s*=/.test(l))
        .map((l) => l.split('=').map((p) => p.trim()) as [string, string]),
    );
    expect(conf).toMatch(/^\[rtpengine\]$/m);
    expect(settings).toMatchObject({ table: '-1', interface: '127.0.0.1', foreground: 'true', 'log-stderr': 'true' });
    expect(settings['listen-ng']).toBe(`127.0.0.1:${chart.ngPort}`);
    expect(settings['listen-http']).toBe(`127.0.0.1:${chart.httpPort}`);
    expect(settings['listen-cli']).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

describe('parseDockerfile', () => {
  it('joins continuations, drops comments and names the line of a broken one', () => {
    const parsed = parseDockerfile('# c\nARG A=1\nRUN a \\\n  # inside\n  b\n\nCMD ["x"]\n');
    expect(parsed).toEqual([
      { keyword: 'ARG', args: 'A=1', line: 2 },
      { keyword: 'RUN', args: 'a b', line: 3 },
      { keyword: 'CMD', args: '["x"]', line: 7 },
    ]);
    expect(() => parseDockerfile('RUN a \\')).toThrow('line 1: RUN ends with a line continuation');
    expect(execForm('node x')).toBeUndefined();
    expect(argDefault(parseDockerfile('ARG A\nARG B="x y"\nARG C=1-2'), 'B')).toBe('x y');
    expect(argDefault(parseDockerfile('ARG A\nARG C=1-2'), 'A')).toBeUndefined();
    expect(upstreamVersion('10.5.3.5-1+deb12u1')).toBe('10.5.3.5');
    expect(() => execForm('[1]')).toThrow('not a JSON array of strings');
  });
});
