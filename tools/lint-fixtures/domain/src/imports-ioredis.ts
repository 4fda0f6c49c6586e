import Redis from 'ioredis';

export const client = new Redis({ lazyConnect: true });
