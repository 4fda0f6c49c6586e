export { loadConfig, loadConfigOrExit, ConfigError, type ConfigProblem } from './load-config';
export { envBool, envPort, envInt, envUrl, envList, envLogLevel, envDurationMs } from './env-types';
export { nodeVersionProblem, requireSupportedNode, REQUIRED_NODE_MAJOR } from './node-version';
