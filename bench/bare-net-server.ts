import net from 'node:net';

/**
 * The baseline: the least a server can do for the text dialect. It answers
 * every line with a fixed path, with no bus, no machine and no lookup.
 */
const reply = `${process.argv[2] ?? '/tmp/notes.json'}\n`;
const server = net.createServer({ noDelay: true }, (socket) => {
  let pending = '';
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      socket.write(reply);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  });
  socket.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as net.AddressInfo;
  process.stdout.write(`listening on 127.0.0.1:${address.port}\n`);
});
