import { upstreamMappingTests } from '../contract/upstream-mapping.ts';
import { startBridge } from '../helpers/bridge.ts';

upstreamMappingTests('node', startBridge);
