"""A client for safekeep's forget operation with nothing but the standard library.

    forget_client.py PORT text 'forget notes.json --keep-last 2 --dry-run'
    forget_client.py PORT json '{"type": "backup.forget", "job": "notes.json"}'

Prints the reply as received: the text lines, or the one JSON line.
"""
import socket
import sys

port, dialect, request = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with socket.create_connection(("127.0.0.1", port)) as s:
    s.sendall((request + "\n").encode())
    # Sending nothing more: the service still answers, then closes when the client does.
    s.shutdown(socket.SHUT_WR)
    chunks = []
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
sys.stdout.write(b"".join(chunks).decode())
