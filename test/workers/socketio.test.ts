import { socketIoContractTests } from '../contract/socketio-contract.ts';
import { startWorkerBridge } from '../helpers/workers.ts';

socketIoContractTests('workers', startWorkerBridge, { polling: false });
