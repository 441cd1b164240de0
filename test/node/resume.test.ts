import { resumeContractTests } from '../contract/resume-contract.ts';
import { startBridge } from '../helpers/bridge.ts';

resumeContractTests('node', startBridge);
