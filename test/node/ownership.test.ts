import { ownershipContractTests } from '../contract/ownership-contract.ts';
import { startBridge } from '../helpers/bridge.ts';
import { describeRedis, SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';

ownershipContractTests('node', async (upstreamUrl, overrides) => {
  const { url } = await startBridge(upstreamUrl, overrides);
  return [url, url];
});

describeRedis('stream ownership across two instances on Redis', () => {
  ownershipContractTests('node+redis, two instances', async (upstreamUrl, overrides) => {
    const redisPrefix = testPrefix();
    const shared = { ...overrides, redisUrl: SHARED_REDIS_URL, redisPrefix };
    const a = await startBridge(upstreamUrl, shared);
    const b = await startBridge(upstreamUrl, shared);
    return [a.url, b.url];
  });
});
