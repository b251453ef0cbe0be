"""The grading kernelspec's command: a stand-in for a kernel forked by `helpers.grading.forkserver`.

    python -I -S .../helpers/grading/standin.py CONNECTION_FILE [KERNEL ARGUMENTS...]

nbgrader's kernel manager starts, signals and kills this process as if it were the kernel. It hands
its standard streams to the fork server named by $L2A_FORKSERVER, relays the signals it gets, and
exits with the kernel's exit status. It imports only the standard library (it runs without
site-packages, to start in a few milliseconds); the grader imports its names from here.
"""
import ctypes
import json
import os
import signal
import socket
import sys

SOCKET_VARIABLE = "L2A_FORKSERVER"      # the fork server's socket
TAG_VARIABLE = "L2A_SANDBOX_TAG"        # set by the grader per submission: names the kernel's cgroup and pid file
RELAYED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Be killed when the process that started this one ends (Linux; elsewhere nothing happens)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def pid_file(tag: str) -> str:
    """Where the stand-in of the kernel tagged `tag` writes its process group (the grader kills it)."""
    return os.path.join(os.environ.get("JUPYTER_RUNTIME_DIR", "/tmp"), f"l2a-{tag}.pid")


def main(connection_file: str, arguments: list) -> None:
    die_with_parent()                                   # with the kernel manager that started it
    tag = os.environ.get(TAG_VARIABLE, f"pid{os.getpid()}")
    with open(pid_file(tag), "w") as written:
        written.write(str(os.getpgrp()))
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.connect(os.environ[SOCKET_VARIABLE])
    request = {"connection_file": os.path.abspath(connection_file), "arguments": arguments, "tag": tag,
               "environment": dict(os.environ)}
    line = json.dumps(request).encode() + b"\n"
    server.sendall(line[socket.send_fds(server, [line], [0, 1, 2]):])     # the streams go with the first bytes
    for signum in RELAYED:
        signal.signal(signum, lambda number, _frame: server.send(bytes([number])))
    reply = b""
    while not reply.endswith(b"\n"):
        received = server.recv(64)
        if not received:
            sys.exit(1)
        reply += received
    code = int(reply)
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
