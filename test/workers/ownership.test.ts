import { ownershipContractTests } from '../contract/ownership-contract.ts';
import { startWorkerBridge } from '../helpers/workers.ts';

ownershipContractTests('workers', async (upstreamUrl, overrides) => {
  const { url } = await startWorkerBridge(upstreamUrl, overrides);
  return [url, url];
});
