import { kafkaLogCreator } from './kafka-logging';
import { logLevel } from 'kafkajs';

describe('kafkaLogCreator', () => {
  it('maps kafkajs levels to the structured logger, message apart from fields', () => {
    const calls: [string, object, string | undefined][] = [];
    const rec = (lvl: string) => (o: object, m?: string) => void calls.push([lvl, o, m]);
    const log = kafkaLogCreator({ error: rec('error'), warn: rec('warn'), info: rec('info'), debug: rec('debug') })(logLevel.INFO);
    log({ namespace: 'Producer', level: logLevel.ERROR, label: 'ERROR', log: { timestamp: 't', message: 'broker down', broker: 'b:1' } });
    log({ namespace: 'Producer', level: logLevel.DEBUG, label: 'DEBUG', log: { timestamp: 't', message: 'dbg' } });
    expect(calls).toEqual([
      ['error', { kafka: { timestamp: 't', broker: 'b:1' } }, 'broker down'],
      ['debug', { kafka: { timestamp: 't' } }, 'dbg'],
    ]);
  });
});
