import { collectDefaultMetrics, Registry } from 'prom-client';

let processRegistry: Registry | null = null;

/**
 * The process's own metrics (`process_*`, `nodejs_*`: prom-client's
 * defaults), on one registry for the whole process. They describe the
 * process, not a host, and prom-client never takes back the GC observer and
 * event-loop monitor each `collectDefaultMetrics` call starts: one call per
 * process, however many hosts an app starts and stops.
 *
 * @example
 * const text = (await ownRegistry.metrics()) + (await processMetrics().metrics());
 */
export function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
