import { createRedisClient } from '@ci-connector/platform-redis';

export const make = createRedisClient;
