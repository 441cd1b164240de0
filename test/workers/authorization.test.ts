import { conversationAccessContractTests } from '../contract/conversation-access-contract.ts';
import { ownershipContractTests, type StartPair } from '../contract/ownership-contract.ts';
import { tokenLifetimeContractTests } from '../contract/token-lifetime-contract.ts';
import { startWorkerBridge } from '../helpers/workers.ts';

const start: StartPair = async (upstreamUrl, overrides) => {
  const { url } = await startWorkerBridge(upstreamUrl, overrides);
  return [url, url];
};

ownershipContractTests('workers', start);
conversationAccessContractTests('workers', start);
tokenLifetimeContractTests('workers', start);
