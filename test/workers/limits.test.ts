import { limitsContractTests } from '../contract/limits-contract.ts';
import { startWorkerBridge } from '../helpers/workers.ts';

limitsContractTests('workers', startWorkerBridge);
