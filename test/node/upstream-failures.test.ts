import { upstreamFailureTests } from '../contract/upstream-failures.ts';
import { startBridge } from '../helpers/bridge.ts';

upstreamFailureTests('node', startBridge);
