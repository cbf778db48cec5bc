# A client for the backup operations, written the way seed 000_d3d23a0f0896a607.txt shows:
# the standard socket module only. Usage:
#   python3 ops_client.py PORT text 'status'                 -> the reply's lines
#   python3 ops_client.py PORT json '{"type": "backup.status"}' -> the reply object, as JSON
# A text reply whose first line ends with ':' has as many more lines as the first number in it says (README, text dialect).
import json
import socket
import sys

port = int(sys.argv[1])
dialect = sys.argv[2]
request = sys.argv[3]

s = socket.socket()
s.connect(('127.0.0.1', port))
received = b''


def read_line():
    global received
    while b'\n' not in received:
        chunk = s.recv(1024)
        if not chunk:
            raise SystemExit('the service closed the connection')
        received += chunk
    line, received = received.split(b'\n', 1)
    return line.decode()


if dialect == 'text':
    s.send((request + '\n').encode())
    first = read_line()
    lines = [first]
    if first.endswith(':'):
        count = next(int(word) for word in first.split() if word.isdigit())
        lines += [read_line() for _ in range(count)]
    print('\n'.join(lines))
else:
    s.send(json.dumps(json.loads(request)).encode())
    print(json.dumps(json.loads(read_line())))
s.close()
