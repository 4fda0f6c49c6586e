export {
  createKafka,
  createIdempotentProducer,
  produce,
  ProduceDeadlineError,
  kafkaHealth,
  ensureTopics,
  type KafkaClientOptions,
} from './kafka-client';
export { kafkaLogCreator } from './kafka-logging';
