import type { Bus } from '../bus/bus.ts';

/**
 * An edge of the host: something that subscribes to the bus streams it
 * consumes and publishes the ones it produces (the socket server, the store,
 * a console log, or an embedding app's own). Adapters never import each other.
 *
 * @example
 * const printer: HostAdapter = {
 *   name: 'printer',
 *   async start(bus) {
 *     const sub = bus.on$('backup.completed').subscribe((e) => console.log(e.version.path));
 *     this.stop = async () => sub.unsubscribe();
 *   },
 *   async stop() {},
 * };
 */
export interface HostAdapter {
  readonly name: string;
  /** Subscribes to the bus; resolves once the adapter is ready to serve. */
  start(bus: Bus): Promise<void>;
  /** Finishes what is in flight, releases what it holds, unsubscribes. */
  stop(): Promise<void>;
}
