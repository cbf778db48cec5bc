# Starts safekeep (the command line given as arguments), waits until it listens,
# kills it with SIGKILL and never waits for it, so it stays a zombie for as long
# as this process lives. Prints the child's pid, then blocks until stdin closes.
import os, select, signal, subprocess, sys

child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
for line in child.stdout:
    if b'listening on' in line:
        break
os.kill(child.pid, signal.SIGKILL)
print(child.pid, flush=True)
# stdin may be a non-blocking pipe: wait for its end with select.
while True:
    select.select([0], [], [])
    try:
        if not os.read(0, 1024):
            break
    except BlockingIOError:
        pass
