export { createLogger, REDACTED_PATHS, type Logger, type LoggerOptions } from './create-logger';
export { redactSdpKeys, redactSecretsInText } from './redact-text';
export { callContext, type CallContext } from './call-context';
