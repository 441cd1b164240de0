import { conversationAccessContractTests } from '../contract/conversation-access-contract.ts';
import { ownershipContractTests, type StartPair } from '../contract/ownership-contract.ts';
import { tokenLifetimeContractTests } from '../contract/token-lifetime-contract.ts';
import { startBridge } from '../helpers/bridge.ts';
import { describeRedis, SHARED_REDIS_URL, testPrefix } from '../helpers/redis.ts';

const oneInstance: StartPair = async (upstreamUrl, overrides) => {
  const { url } = await startBridge(upstreamUrl, overrides);
  return [url, url];
};

const twoInstances: StartPair = async (upstreamUrl, overrides) => {
  const redisPrefix = testPrefix();
  const shared = { ...overrides, redisUrl: SHARED_REDIS_URL, redisPrefix };
  const a = await startBridge(upstreamUrl, shared);
  const b = await startBridge(upstreamUrl, shared);
  return [a.url, b.url];
};

ownershipContractTests('node', oneInstance);
conversationAccessContractTests('node', oneInstance);
tokenLifetimeContractTests('node', oneInstance);

describeRedis('authorization across two instances on Redis', () => {
  ownershipContractTests('node+redis, two instances', twoInstances);
  conversationAccessContractTests('node+redis, two instances', twoInstances);
});
