// The Moleculer side of bench/cluster-requests.bench.ts: a broker with one trivial action, in a process of its own,
// on the NATS transporter (Moleculer 0.14 with the `nats` 2.x client). Prints "ready" once its service is registered.
import Moleculer from 'moleculer';

const broker = new Moleculer.ServiceBroker({ nodeID: 'echo-node', transporter: process.argv[2] ?? null, logLevel: 'warn' });
broker.createService({
  name: 'echo',
  actions: {
    ping(ctx: Moleculer.Context<{ job?: string }>) {
      return { jobId: ctx.params.job };
    },
  },
});
void broker.start().then(() => process.stdout.write('ready\n'));
process.on('SIGTERM', () => void broker.stop().then(() => process.exit(0)));
