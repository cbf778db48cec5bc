// The Moleculer side of bench/cluster-requests.bench.ts: a broker with one trivial action, in a process of its own,
// on the NATS transporter (Moleculer 0.14 with the `nats` 2.x client). Prints "ready" once its service is registered.
// Plain JavaScript, run by bare node: safekeep's side runs built (dist), not through tsx, and so does this one.
import process from 'node:process';
import Moleculer from 'moleculer';

const broker = new Moleculer.ServiceBroker({ nodeID: 'echo-node', transporter: process.argv[2] ?? null, logLevel: 'warn' });
broker.createService({
  name: 'echo',
  actions: {
    /** @param {import('moleculer').Context<{ job?: string }>} ctx */
    ping(ctx) {
      return { jobId: ctx.params.job };
    },
  },
});
void broker.start().then(() => process.stdout.write('ready\n'));
process.on('SIGTERM', () => void broker.stop().then(() => process.exit(0)));
