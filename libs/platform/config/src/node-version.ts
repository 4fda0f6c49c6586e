/** The Node major the project is built and tested on (.nvmrc, package.json engines). */
export const REQUIRED_NODE_MAJOR = 24;

/** A message when `version` is not the required major, else undefined. */
export function nodeVersionProblem(version: string = process.versions.node): string | undefined {
  const major = Number(version.split('.')[0]);
  if (major === REQUIRED_NODE_MAJOR) return undefined;
  return `ci-connector runs on Node ${REQUIRED_NODE_MAJOR} LTS; this is Node ${version}. Use the project's Node: \`source scripts/node-env.sh\` (or the container image).`;
}

/** For an app's first line: exits 1 with a clear message on another Node major. */
export function requireSupportedNode(): void {
  const problem = nodeVersionProblem();
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}
