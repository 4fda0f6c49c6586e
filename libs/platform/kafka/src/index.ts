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
export { kafkaSecurityFromEnv, kafkaConnectionSecurity, KAFKA_SECURITY_VARIABLES, KafkaSecurityError, type KafkaSecurity } from './kafka-security';
