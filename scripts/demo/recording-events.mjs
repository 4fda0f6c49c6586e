// Reads back the recording events sip-signaling published to Kafka
// (ci.recording.events.v1, key = the call id) for one call: the topic's end
// offsets are taken before the call, and after it a consumer of a group of its
// own reads from there, keeping the call's events until its recording stopped
// or failed. The group is deleted afterwards.
import { Kafka, logLevel } from 'kafkajs';
import { DemoError } from './lib.mjs';

// kafkajs 2.2.4 on Node 24 warns TimeoutNegativeWarning once per connection, harmlessly
// (docs/development.md, kafkajs issue #1751): not something to show a newcomer. Other warnings still print.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'TimeoutNegativeWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
});

const kafkaOf = (cfg) => new Kafka({ clientId: 'ci-connector-demo', brokers: cfg.kafkaBrokers, logLevel: logLevel.NOTHING, connectionTimeout: 5_000, requestTimeout: 10_000, retry: { retries: 2 } });

/** Each partition's end offset now, to read the call's events from. */
export async function eventsMark(cfg) {
  const admin = kafkaOf(cfg).admin();
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(cfg.eventsTopic)) {
      throw new DemoError(`Kafka topic ${cfg.eventsTopic} does not exist: sip-signaling creates it at start when it has KAFKA_BROKERS (is it running? bash scripts/system.sh status)`);
    }
    return (await admin.fetchTopicOffsets(cfg.eventsTopic)).map((p) => ({ partition: p.partition, offset: p.high }));
  } catch (err) {
    if (err instanceof DemoError) throw err;
    throw new DemoError(`Kafka at ${cfg.kafkaBrokers.join(',')} did not answer (${err.message}): is the local stack up? (bash deploy/local/stack.sh status)`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * The events of `callId` published since `mark`, in order, waiting up to
 * `timeoutMs` for the last one (recording.stopped or recording.failed).
 */
export async function callEvents(cfg, mark, callId, timeoutMs) {
  const kafka = kafkaOf(cfg);
  const groupId = `ci-connector-demo-${process.pid}-${Date.now()}`;
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 200 });
  const events = [];
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: cfg.eventsTopic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (message.key?.toString('utf8') !== callId) return;
        let event;
        try {
          event = JSON.parse(message.value?.toString('utf8') ?? '');
        } catch {
          event = { type: '(not JSON)', raw: message.value?.toString('utf8') };
        }
        events.push(event);
        if (event.type === 'recording.stopped' || event.type === 'recording.failed') done();
      },
    });
    for (const p of mark) consumer.seek({ topic: cfg.eventsTopic, partition: p.partition, offset: p.offset });
    await Promise.race([finished, new Promise((r) => setTimeout(r, timeoutMs))]);
    return events;
  } catch (err) {
    throw new DemoError(`reading ${cfg.eventsTopic} from Kafka at ${cfg.kafkaBrokers.join(',')} failed: ${err.message}`);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([groupId]))
      .catch(() => undefined)
      .finally(() => admin.disconnect().catch(() => undefined));
  }
}
