# A client written the way seed 000_d3d23a0f0896a607.txt shows: the standard
# socket module, one send of the encoded word, one recv(1024).
# The only change: the port comes from the command line, so tests can use a free one.
import socket
import sys

s = socket.socket()

port = int(sys.argv[1])

s.connect(('127.0.0.1', port))

request = sys.argv[2] if len(sys.argv) > 2 else "revert"
s.send(request.encode())

print(s.recv(1024).decode(), end="")
s.close()
