export {
  createKafka,
  createIdempotentProducer,
  produce,
  kafkaHealth,
  ensureTopics,
  type KafkaClientOptions,
} from './kafka-client';
export { kafkaLogCreator } from './kafka-logging';
