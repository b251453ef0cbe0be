"""The grading kernelspec's command: one submission's kernel, started inside the sandbox.

    python -I .../helpers/grading/launcher.py CONNECTION_FILE [KERNEL ARGUMENTS...]

jupyter_client starts, signals and kills this process as if it were the kernel. It reads its orders
($L2A_SANDBOX, written by the grader), joins the kernel's cgroup, enters new namespaces and forks the
kernel, which builds its view, drops to an unprivileged user and execs ipykernel (see
helpers.grading.sandbox). This process stays outside, relays interrupts to the kernel and exits with
its status; if it is killed, the kernel is killed with it.
"""
from __future__ import annotations

import os
import signal
import sys
import traceback
from pathlib import Path

from helpers.grading import sandbox

RELAYED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def _kernel(kernel: sandbox.Kernel, how: str, connection: str, arguments: list[str], cgroups: set[str],
            processes_now: int) -> None:
    """The child: confine, then exec ipykernel. Never returns."""
    try:
        sandbox.die_with_parent()
        os.setsid()                                   # interrupts reach it through this process only
        limits = sandbox.Limits(**kernel.limits)
        uid = kernel.uid if how == "root" else os.getuid()
        environment = sandbox.kernel_environment()
        if how == "none":
            home = Path(kernel.sockets) / "home"
            home.mkdir(mode=0o700, exist_ok=True)
            environment.update(HOME=str(home), JUPYTER_RUNTIME_DIR=str(home), MPLCONFIGDIR=str(home / ".matplotlib"),
                               PYTHONPATH=str(Path(kernel.helpers).parent))
            connection_file = home / "kernel.json"
        else:
            sandbox.build_view(kernel, uid)
            connection_file = Path("/tmp/home/.jupyter/kernel.json")
        connection_file.write_text(connection)
        os.chmod(connection_file, 0o600)
        if how == "root":
            os.chown(connection_file, uid, uid)
        os.chdir(connection_file.parent.parent if how != "none" else connection_file.parent)
        sandbox.set_rlimits(limits, cgroups, processes_now)
        if how != "none":
            sandbox.drop_privileges(uid if how == "root" else None)
            sandbox.die_with_parent()                 # again: a change of user clears it
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        os.execve(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection_file),
                                   "--IPKernelApp.parent_handle=1", *arguments], environment)   # 1: no parent to poll
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(1)


def main(connection_file: str, arguments: list[str]) -> int:
    kernel = sandbox.Kernel.from_json(os.environ[sandbox.CONFIG_VARIABLE])
    how = kernel.mode or sandbox.mode()
    connection = Path(connection_file).read_text()
    sandbox.die_with_parent()                         # with the grader's kernel manager
    limits = sandbox.Limits(**kernel.limits)
    cgroups = sandbox.join_cgroups(kernel.tag, limits) if how == "root" else set()
    processes_now = sandbox.tasks_of_this_user() if how != "root" else 0
    if how != "none":
        sandbox.unshare(how)
    child = os.fork()
    if child == 0:
        _kernel(kernel, how, connection, arguments, cgroups, processes_now)
    for signum in RELAYED:
        signal.signal(signum, lambda number, _frame: os.kill(child, number))
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    code = main(sys.argv[1], sys.argv[2:])
    sys.exit(code if code >= 0 else 128 - code)
