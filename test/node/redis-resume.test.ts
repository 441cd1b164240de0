/**
 * The resume, idempotency and conversation suite of one process, run against a bridge whose
 * registry is the shared Redis one: with one instance, Redis must change nothing clients see.
 */
import { resumeContractTests } from '../contract/resume-contract.ts';
import { startBridge } from '../helpers/bridge.ts';
import { describeRedis, SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';

describeRedis('the resume contract on the Redis registry', () => {
  resumeContractTests('node+redis', (upstreamUrl, overrides) =>
    startBridge(upstreamUrl, {
      ...overrides,
      redisUrl: SHARED_REDIS_URL,
      redisPrefix: testPrefix(),
    }),
  );
});
