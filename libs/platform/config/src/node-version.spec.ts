import { nodeVersionProblem } from './node-version';

describe('nodeVersionProblem', () => {
  it('accepts Node 24 and names the problem for any other major', () => {
    expect(nodeVersionProblem('24.21.0')).toBeUndefined();
    expect(nodeVersionProblem('20.20.2')).toBe('ci-connector runs on Node 24 LTS; this is Node 20.20.2. Use the project\'s Node: `source scripts/node-env.sh` (or the container image).');
    expect(nodeVersionProblem('25.0.0')).toMatch(/this is Node 25\.0\.0/);
  });
  it('passes on the Node running the tests', () => {
    expect(nodeVersionProblem()).toBeUndefined();
  });
});
