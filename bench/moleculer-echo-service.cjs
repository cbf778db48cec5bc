// The Moleculer side of bench/cluster-requests.bench.ts: a broker with one trivial action, in a process of its own,
// on the NATS transporter (Moleculer 0.14 with the `nats` 2.x client). Prints "ready" once its service is registered.
const { ServiceBroker } = require('moleculer');

const broker = new ServiceBroker({ nodeID: 'echo-node', transporter: process.argv[2] ?? null, logLevel: 'warn' });
broker.createService({
  name: 'echo',
  actions: {
    ping(ctx) {
      return { jobId: ctx.params.job };
    },
  },
});
broker.start().then(() => process.stdout.write('ready\n'));
process.on('SIGTERM', () => void broker.stop().then(() => process.exit(0)));
