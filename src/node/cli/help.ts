/** The `sse2ws --help` text, rendered from the core's option table. */
import {
  isSwitch,
  OPTION_GROUPS,
  OPTION_SPECS,
  toDefaultText,
  toFlagUsage,
} from '../../core/index.ts';

/** Width of the flag column of the help. */
const HELP_FLAG_WIDTH = 36;

/** The `--help` text: every option under its topic, with its env var and default. */
export function helpText(): string {
  const pad = ' '.repeat(HELP_FLAG_WIDTH);
  const sections = OPTION_GROUPS.map((group) => {
    const rows = OPTION_SPECS.filter((s) => s.group === group).map((s) => {
      const left = `  ${toFlagUsage(s)}`;
      const first =
        left.length < HELP_FLAG_WIDTH ? left.padEnd(HELP_FLAG_WIDTH) : `${left}\n${pad}`;
      const env = isSwitch(s) ? `${s.env.join(' or ')}=true|false` : s.env.join(' or ');
      return `${first}${s.help}\n${pad}env ${env}; default ${toDefaultText(s)}`;
    });
    return [`${group}:`, ...rows, ''];
  });
  return [
    'Usage: sse2ws [options]',
    '',
    'Bridges a Server-Sent Events backend to Socket.IO (/socket.io/) and WebSocket (/ws) clients.',
    'Options (a flag wins over its env var, the env var over the default):',
    '',
    ...sections.flat(),
    `  ${'-h, --help'.padEnd(HELP_FLAG_WIDTH - 2)}show this help`,
    `  ${'-v, --version'.padEnd(HELP_FLAG_WIDTH - 2)}print the version`,
    '',
  ].join('\n');
}
