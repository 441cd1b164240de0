import { limitsContractTests } from '../contract/limits-contract.ts';
import { startBridge } from '../helpers/bridge.ts';

limitsContractTests('node', startBridge);
