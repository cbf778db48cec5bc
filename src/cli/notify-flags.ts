import { httpUrlProblem } from '../notify/http-url.ts';

/** `--on-failure`, `--webhook`, `--heartbeat`, checked: who is told about failures and good runs; empty tells nobody. */
export interface CliNotify {
  readonly onFailure?: string;
  readonly webhookUrl?: string;
  readonly heartbeatUrl?: string;
}

/**
 * The notification flags from parseArgs' values, or what is wrong with one.
 * A URL is never echoed: webhook and heartbeat URLs usually carry their token
 * in the path, and this message may end up in a journal.
 *
 * @example
 * notifyFlags({ webhook: 'https://hooks.example.com/T/B/x' }); // { webhookUrl: 'https://hooks.example.com/T/B/x' }
 * notifyFlags({ heartbeat: 'hc-ping.com/uuid' }); // '--heartbeat is not a URL; give a whole one, …'
 */
export function notifyFlags(values: Readonly<Record<string, unknown>>): CliNotify | string {
  const text = (name: string): string | undefined => (typeof values[name] === 'string' ? values[name] : undefined);
  const onFailure = text('on-failure');
  if (onFailure !== undefined && onFailure.trim() === '') return '--on-failure needs a command';
  const urls: Record<string, string> = {};
  for (const [flag, key] of [['webhook', 'webhookUrl'], ['heartbeat', 'heartbeatUrl']] as const) {
    const value = text(flag);
    if (value === undefined) continue;
    const problem = httpUrlProblem(value);
    if (problem !== null) return `--${flag} ${problem}`;
    urls[key] = value.trim();
  }
  return { ...(onFailure === undefined ? {} : { onFailure }), ...urls };
}
