"""Kernels forked from a warm process: a submission's kernel is ready in a fifth of a second, not a second.

Starting a kernel means starting Python and importing IPython, NumPy, matplotlib and the course's
helpers: most of a second of CPU per submission, the same for every student. A grading process
starts one fork server, which does that once: it imports `helpers.checks` first (so the comparison
functions the tests use are bound before any student code), then ipykernel and what the lesson's
own cells import, and waits on a Unix socket. It never runs a submission's code.

The kernelspec's command is a stand-in (`helpers/grading/standin.py`) that nbgrader's kernel manager
starts, signals and kills as if it were the kernel. It hands its standard streams to the server,
which forks a supervisor: the supervisor joins the kernel's cgroup and namespaces
(`helpers.grading.sandbox`) and forks the kernel, which confines itself and runs ipykernel. The
supervisor relays the stand-in's signals (interrupts) to the kernel, kills the kernel when the
stand-in dies, and reports the kernel's exit status. The socket lives in a folder the kernels
cannot see. `PromptKernelClient` spares the grader jupyter_client's wait for a quiet IOPub.
"""
from __future__ import annotations

import ast
import importlib
import json
import os
import queue
import random
import select
import signal
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path

from jupyter_client.asynchronous import AsyncKernelClient

from helpers.grading import sandbox
from helpers.grading.standin import SOCKET_VARIABLE, die_with_parent


class PromptKernelClient(AsyncKernelClient):
    """jupyter_client's asynchronous kernel client, ready as soon as the kernel has answered.

    jupyter_client's own `wait_for_ready` checks the same things (a kernel_info reply on the shell
    channel, then a message on IOPub), then listens to IOPub until it has been quiet for 0.2 s: a fifth
    of a second per submission. nbclient ignores messages that do not answer its own requests.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except queue.Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)      # IOPub is connected
                except queue.Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")


def lesson_imports(sources: list[str]) -> list[str]:
    """The modules the lesson's own code cells import (IPython syntax allowed), in order."""
    from IPython.core.inputtransformer2 import TransformerManager

    modules = []
    for source in sources:
        try:
            tree = ast.parse(TransformerManager().transform_cell(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.append(node.module)
    return list(dict.fromkeys(modules))


def launch(folder: Path, limits: sandbox.Limits, modules: list[str], name: str) -> subprocess.Popen:
    """Start a fork server that will listen on folder/<name>.sock; it imports while the caller goes on."""
    environment = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "agg"}
    return subprocess.Popen([sys.executable, "-m", "helpers.grading.forkserver", str(folder / f"{name}.sock"),
                             json.dumps(limits.__dict__), json.dumps(modules)],
                            cwd=folder, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)


def ready(server: subprocess.Popen) -> None:
    """Wait until `server` listens; set $L2A_FORKSERVER for the kernels started from this process."""
    announced = server.stdout.readline().decode().rstrip("\n")       # "listening PATH"
    if not announced.startswith("listening "):
        server.kill()
        raise RuntimeError(f"the kernel fork server did not start (exit status {server.wait()})")
    os.environ[SOCKET_VARIABLE] = announced.removeprefix("listening ")


def start(folder: Path, limits: sandbox.Limits, modules: list[str]) -> subprocess.Popen:
    """Start a fork server in `folder` and wait until it listens (`launch`, then `ready`)."""
    server = launch(folder, limits, modules, str(os.getpid()))
    ready(server)
    return server


def serve(path: str, limits: sandbox.Limits, modules: list[str]) -> None:
    """Import what kernels need, then fork a supervised kernel for each stand-in that connects."""
    die_with_parent()                                   # the grading process, and so on down:
    importlib.import_module("helpers.checks")   # binds NumPy's comparison functions before any student code
    kernel = ["ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "matplotlib_inline.backend_inline"]
    for module in kernel + modules:
        try:
            importlib.import_module(module)
        except Exception:                                        # the kernel will report it, if it matters
            pass
    sys.path = [p for p in sys.path if p not in ("", os.getcwd())]
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)               # supervisors are reaped by the system
    sys.stdout.write(f"listening {path}\n")
    sys.stdout.flush()
    while True:
        connection, _ = listener.accept()
        if os.fork() == 0:
            die_with_parent()                           # a supervisor dies with the server,
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 1
            try:
                code = _supervise(connection, limits)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        connection.close()


def _supervise(connection: socket.socket, limits: sandbox.Limits) -> int:
    """Fork the kernel for one stand-in; relay its signals; report the kernel's exit status."""
    message, streams, _, _ = socket.recv_fds(connection, 1 << 16, 3)
    while not message.endswith(b"\n"):                         # one line of JSON, however it arrives
        received = connection.recv(1 << 16)
        if not received:
            return 1
        message += received
    request = json.loads(message)
    cgroups = sandbox.enter_cgroup_and_namespaces(request["tag"], limits)
    kernel = os.fork()
    if kernel == 0:
        connection.close()
        _run_kernel(request, streams, limits, cgroups)
    for stream in streams:
        os.close(stream)
    exited = os.pidfd_open(kernel)
    while True:
        ready, _, _ = select.select([connection, exited], [], [])
        if exited in ready:
            code = os.waitstatus_to_exitcode(os.waitpid(kernel, 0)[1])
            connection.sendall(f"{code}\n".encode())
            return 0
        received = connection.recv(64)
        if not received:                                         # the stand-in was killed: so is the kernel
            os.kill(kernel, signal.SIGKILL)
            os.waitpid(kernel, 0)
            return 0
        for signum in received:
            os.kill(kernel, signum)


def _run_kernel(request: dict, streams: list[int], limits: sandbox.Limits, cgroups: set[str]) -> None:
    """The kernel: the stand-in's environment and streams, its own session, confined, fresh random seeds,
    then ipykernel as its launcher would start it. Never returns."""
    code = 0
    try:
        die_with_parent()                               # a kernel with its supervisor,
        os.environ.clear()
        os.environ.update(request["environment"])
        os.setsid()
        for target, stream in enumerate(streams):
            if stream != target:
                os.dup2(stream, target)
                os.close(stream)
        sandbox.confine(limits, cgroups)
        random.seed()                                            # as a freshly started Python would be
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        from ipykernel import kernelapp

        parent = os.environ.get("JPY_PARENT_PID", "0")      # read when ipykernel was imported, in the server
        sys.argv = ["ipykernel_launcher", "-f", request["connection_file"], f"--IPKernelApp.parent_handle={parent}",
                    *request["arguments"]]
        kernelapp.launch_new_instance()
    except SystemExit as leaving:
        code = leaving.code if isinstance(leaving.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    serve(sys.argv[1], sandbox.Limits(**json.loads(sys.argv[2])), json.loads(sys.argv[3]))
