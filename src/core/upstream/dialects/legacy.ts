/** The foundation's rules (README "Upstream request and mapping"): `{"type": …}` frames and more. */
import { type Frame, toStopFrame } from '../../protocol/frame.ts';
import { DONE, toFrame } from './legacy-rules.ts';
import { type Dialect, type DialectReport, silentReport } from './types.ts';

export function createLegacyDialect(report: DialectReport = silentReport): Dialect {
  let sawError = false;
  const end = (): Frame => toStopFrame(sawError ? 'error' : 'complete');
  return {
    name: 'legacy',
    map(event) {
      const frame = toFrame(event);
      if (frame === DONE) return [toStopFrame('complete')];
      if (frame === undefined) {
        report.dropped('legacy', event);
        return [];
      }
      if (frame.type === 'error') sawError = true;
      return [frame];
    },
    end,
  };
}
