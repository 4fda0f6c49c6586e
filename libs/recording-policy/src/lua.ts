import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

/** A Lua script run with EVALSHA, falling back to EVAL (which also loads it) when Redis answers NOSCRIPT. */
export class LuaScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      // After a restart or SCRIPT FLUSH: EVAL runs it and caches it again for the next EVALSHA.
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
