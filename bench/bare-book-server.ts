import { readFileSync } from 'node:fs';
import net from 'node:net';
import { pythonJsonDumps, pythonJsonString } from '../src/protocol/python-json.ts';

/**
 * The baseline for the password book's seed questions: the least a server
 * can do that holds the usernames in memory. It answers `number_of_users`
 * from the list's length and `check_users` by writing the same bytes
 * safekeep does (Python's json.dumps form), rendered per request in one tight
 * loop and written at once, with no bus, no store and no limits. Usernames come from the JSON file named on
 * the command line; requests are JSON objects one per write.
 */
const usernames = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as string[];

function reply(request: string): string {
  if (request.includes('"number_of_users"')) return `${pythonJsonDumps({ message: 'return_number_of_users', number_of_users: usernames.length })}\n`;
  if (request.includes('"check_users"')) {
    let users = '';
    for (const username of usernames) users += users === '' ? `{"username": ${pythonJsonString(username)}}` : `, {"username": ${pythonJsonString(username)}}`;
    return `{"message": "return_check_users", "users": [${users}]}\n`;
  }
  return `${pythonJsonDumps({ message: 'Invalid message!' })}\n`;
}

const server = net.createServer({ noDelay: true }, (socket) => {
  // The bench sends one request and waits for its reply: each read is one whole request.
  socket.on('data', (chunk: Buffer) => socket.write(reply(chunk.toString('utf8'))));
  socket.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as net.AddressInfo;
  process.stdout.write(`listening on 127.0.0.1:${address.port}\n`);
});
