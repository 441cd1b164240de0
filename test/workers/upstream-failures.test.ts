import { upstreamFailureTests } from '../contract/upstream-failures.ts';
import { startWorkerBridge } from '../helpers/workers.ts';

upstreamFailureTests('workers', startWorkerBridge);
