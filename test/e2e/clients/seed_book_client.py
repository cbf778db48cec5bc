# A client written the way seed 003_6c5edaf249e120a9.txt shows: the standard
# socket module; it sends json.dumps(message).encode() and closes, and only then
# listens for the service to connect back with the answer.
# The only change: ports and the message come from the command line, so tests
# can use free ports.
import json
import socket
import sys

server_port = int(sys.argv[1])
listen_port = int(sys.argv[2])
message = json.loads(sys.argv[3])

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(('127.0.0.1', server_port))
s.send(json.dumps(message).encode())
s.close()

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(('127.0.0.1', listen_port))
listener.listen(1)
conn, addr = listener.accept()
data = conn.recv(1024)
response = json.loads(data.decode())
conn.close()
listener.close()

print(json.dumps(response))
