import { logLevel, type logCreator } from 'kafkajs';

interface PinoLike {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Routes kafkajs's own log lines into the service's structured logger. */
export function kafkaLogCreator(logger: PinoLike): logCreator {
  return () => ({ level, log }) => {
    const { message, ...extra } = log;
    const fields = { kafka: extra };
    if (level === logLevel.ERROR) logger.error(fields, message);
    else if (level === logLevel.WARN) logger.warn(fields, message);
    else if (level === logLevel.INFO) logger.info(fields, message);
    else logger.debug(fields, message);
  };
}
