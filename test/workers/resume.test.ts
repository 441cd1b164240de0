import { resumeContractTests } from '../contract/resume-contract.ts';
import { startWorkerBridge } from '../helpers/workers.ts';

resumeContractTests('workers', startWorkerBridge);
