import { upstreamMappingTests } from '../contract/upstream-mapping.ts';
import { startWorkerBridge } from '../helpers/workers.ts';

upstreamMappingTests('workers', startWorkerBridge);
