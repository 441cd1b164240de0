import { wsContractTests } from '../contract/ws-contract.ts';
import { startWorkerBridge } from '../helpers/workers.ts';

wsContractTests('workers', startWorkerBridge);
