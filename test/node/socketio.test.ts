import { socketIoContractTests } from '../contract/socketio-contract.ts';
import { startBridge } from '../helpers/bridge.ts';

socketIoContractTests('node', startBridge, { polling: true });
