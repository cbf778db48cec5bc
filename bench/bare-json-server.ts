import net from 'node:net';

/**
 * The JSON dialect's baseline: the least a server can do for newline-ended
 * JSON requests. It parses each line (a real server must read what it was
 * asked) and answers it with one fixed reply line, given on the command line
 * so that it has the bytes safekeep answers with; no bus, no machine, no store.
 */
const reply = `${process.argv[2] ?? '{"message": "return_number_of_users", "number_of_users": 0}'}\n`;
const server = net.createServer({ noDelay: true }, (socket) => {
  let pending = '';
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      JSON.parse(pending.slice(0, newline));
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
