# Runs a command on a real pseudo-terminal and answers its prompts, as a
# person at a keyboard would. Usage:
#   prompt_driver.py CWD PROMPT=ANSWER [PROMPT=ANSWER ...] -- COMMAND [ARGS...]
# Each answer is typed once its prompt text has appeared (counting repeats).
# When every answer is typed it waits for "listening on", then sends SIGTERM
# and prints everything the terminal showed.
import os
import pty
import select
import signal
import sys
import time

cwd = sys.argv[1]
split = sys.argv.index("--")
steps = [arg.split("=", 1) for arg in sys.argv[2:split]]
command = sys.argv[split + 1:]

pid, fd = pty.fork()
if pid == 0:
    os.chdir(cwd)
    os.execv(command[0], command)

screen = b""
deadline = time.time() + 30
step = 0
seen_prompts = 0

def read_some():
    global screen
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try:
            screen += os.read(fd, 4096)
        except OSError:
            return False
    return True

while time.time() < deadline:
    if not read_some():
        break
    if step < len(steps):
        prompt, answer = steps[step]
        # Answer the n-th appearance of a prompt only once it has appeared n times.
        wanted = sum(1 for p, _ in steps[: step + 1] if p == prompt)
        if screen.decode(errors="replace").count(prompt) >= wanted:
            os.write(fd, (answer + "\n").encode())
            step += 1
    elif b"listening on" in screen:
        break

os.kill(pid, signal.SIGTERM)
end = time.time() + 10
while time.time() < end:
    if not read_some():
        break
    done, _ = os.waitpid(pid, os.WNOHANG)
    if done:
        break
sys.stdout.write(screen.decode(errors="replace"))
