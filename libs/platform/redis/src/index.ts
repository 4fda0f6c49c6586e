export { createRedisClient, redisHealth, closeRedis, type RedisClientOptions, type Health } from './redis-client';
