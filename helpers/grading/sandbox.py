"""The kernel a submission runs in: limits on time, memory and processes, no network, hidden files.

nbgrader starts kernels through a kernelspec; `install_kernelspec` writes one whose command is this
module, so every submission's kernel starts here, then becomes `python -m ipykernel_launcher`:

- always: resource limits (CPU seconds, file size, no core dumps; address space and process count
  where no cgroup does it better), and a working directory of its own;
- as root, on Linux: a cgroup caps its processes (pids.max: a fork bomb stops there) and memory;
  `unshare` gives it new network, mount and PID namespaces (no network; the grading folders and the
  course's solutions covered by empty read-only tmpfs; every process it starts dies with it); and
  `setpriv` drops every capability, so it cannot lift the limits or uncover the files.

The kernel talks to nbgrader over Unix sockets (ZeroMQ's ipc transport), which work across the
network namespace. `enforced()` says which of these this machine gives.
"""
from __future__ import annotations

import json
import os
import resource
import shlex
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

KERNEL_NAME = "l2a-sandbox"
CGROUP_ROOT = Path("/sys/fs/cgroup")
TAG_VARIABLE = "L2A_SANDBOX_TAG"        # set by the grader per submission: names the kernel's cgroup


@dataclass(frozen=True)
class Limits:
    """Per-submission limits. cell_seconds is nbgrader's Execute.timeout; the rest apply to the kernel."""
    cell_seconds: int = 60
    notebook_seconds: int = 300
    memory_mb: int = 2048
    processes: int = 128
    file_mb: int = 64
    hide: list[str] = field(default_factory=list)   # folders (covered by an empty tmpfs) and files (by /dev/null)


def is_root() -> bool:
    return os.geteuid() == 0


def _state_dir() -> Path:
    """Where pid files and scratch folders go: the grading run's Jupyter runtime folder."""
    return Path(os.environ.get("JUPYTER_RUNTIME_DIR", tempfile.gettempdir()))


def _cgroup_dirs(tag: str) -> dict[str, Path]:
    """Where this kernel's cgroup lives, per controller (cgroup v1 or v2); empty when unavailable."""
    name = f"l2a-{tag}"
    if (CGROUP_ROOT / "cgroup.controllers").exists():                       # cgroup v2
        controllers = (CGROUP_ROOT / "cgroup.controllers").read_text().split()
        return {c: CGROUP_ROOT / name for c in ("pids", "memory") if c in controllers}
    return {c: CGROUP_ROOT / c / name for c in ("pids", "memory") if (CGROUP_ROOT / c / "cgroup.procs").exists()}


def enforced() -> list[str]:
    """The limits this machine enforces on a submission's kernel, in words."""
    always = ["per-cell timeout (nbgrader)", "whole-notebook time limit (the grader kills the kernel)",
              "CPU seconds, file size and core dumps (rlimits)"]
    if not (is_root() and shutil.which("unshare") and shutil.which("setpriv")):
        return always + ["memory (address-space rlimit)", "process count (RLIMIT_NPROC, counts all of this user's "
                         "processes)", "NOT enforced without root: no-network, hidden grading files"]
    cgroups = _cgroup_dirs("probe")
    return always + [
        "memory (cgroup memory limit)" if "memory" in cgroups else "memory (address-space rlimit)",
        "process count (cgroup pids.max)" if "pids" in cgroups else "NOT enforced: process count (root ignores "
        "RLIMIT_NPROC and no pids cgroup is available)",
        "no network (new network namespace)", "grading files and solutions hidden (mount namespace)",
        "processes die with the kernel (PID namespace)", "no capabilities (setpriv)"]


def install_kernelspec(directory: Path, limits: Limits) -> str:
    """Write the sandbox kernelspec into directory/kernels (put `directory` on JUPYTER_PATH); return its name."""
    spec = directory / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "helpers.grading.sandbox", json.dumps(asdict(limits)), "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv, "display_name": "Python 3 (grading sandbox)", "language": "python",
        "interrupt_mode": "signal", "env": {"PYTHONHASHSEED": "0", "MPLBACKEND": "agg"}}, indent=1))
    return KERNEL_NAME


def kill_kernel(tag: str) -> None:
    """Kill every process of the kernel tagged `tag` (the grader's whole-notebook time limit)."""
    pidfile = _state_dir() / f"l2a-{tag}.pid"
    if pidfile.exists():
        try:
            os.killpg(int(pidfile.read_text()), signal.SIGKILL)
        except (ProcessLookupError, PermissionError, ValueError):
            pass
    for folder in set(_cgroup_dirs(tag).values()):
        _empty_cgroup(folder)


def remove_cgroups(tag: str) -> None:
    """Kill what is left in the kernel's cgroups and remove them."""
    for folder in set(_cgroup_dirs(tag).values()):
        _empty_cgroup(folder)
        try:
            folder.rmdir()
        except OSError:
            pass
    (_state_dir() / f"l2a-{tag}.pid").unlink(missing_ok=True)


def _empty_cgroup(folder: Path) -> None:
    for _ in range(50):
        try:
            pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)


def _join_cgroup(tag: str, limits: Limits) -> set[str]:
    """Move this process into a fresh cgroup with the limits; return the controllers that worked."""
    joined = set()
    settings = {"pids": {"pids.max": str(limits.processes)},
                "memory": {"memory.max": str(limits.memory_mb << 20),
                           "memory.limit_in_bytes": str(limits.memory_mb << 20)}}
    for controller, folder in _cgroup_dirs(tag).items():
        try:
            folder.mkdir(exist_ok=True)
            for name, value in settings[controller].items():
                if (folder / name).exists():
                    (folder / name).write_text(value)
            (folder / "cgroup.procs").write_text(str(os.getpid()))
            joined.add(controller)
        except OSError:
            continue
    return joined


def _set_rlimits(limits: Limits, cgroups: set[str]) -> None:
    def cap(which: int, value: int) -> None:
        hard = resource.getrlimit(which)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))

    cap(resource.RLIMIT_CPU, 2 * limits.notebook_seconds)     # NumPy's threads add CPU time faster than wall time
    cap(resource.RLIMIT_FSIZE, limits.file_mb << 20)
    cap(resource.RLIMIT_CORE, 0)
    if "memory" not in cgroups:
        cap(resource.RLIMIT_AS, (limits.memory_mb + 1024) << 20)   # + room for the interpreter's own mappings
    if "pids" not in cgroups and not is_root():
        cap(resource.RLIMIT_NPROC, _tasks_of_this_user() + limits.processes)


def _tasks_of_this_user() -> int:
    """Threads and processes this user runs now (RLIMIT_NPROC counts them all)."""
    uid, count = os.getuid(), 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"\nUid:\t{uid}\t" in text:
            count += int(text.split("\nThreads:\t")[1].split()[0])
    return count


def _sandboxed_command(limits: Limits, connection_file: str, scratch: str) -> list[str]:
    # helpers.checks binds NumPy's comparison functions when first imported: do it before any student code runs.
    kernel = [sys.executable, "-c", "import helpers.checks, runpy; runpy.run_module('ipykernel_launcher', "
              "run_name='__main__', alter_sys=True)", "-f", connection_file]
    if not (is_root() and shutil.which("unshare") and shutil.which("setpriv")):
        return kernel
    script = "".join(f"mount -t tmpfs -o ro,size=4k,mode=000 l2a-hidden {shlex.quote(p)} && " if Path(p).is_dir()
                     else f"mount --bind /dev/null {shlex.quote(p)} && " for p in limits.hide if Path(p).exists())
    script += f"cd {shlex.quote(scratch)} && exec setpriv --bounding-set=-all --inh-caps=-all --no-new-privs -- \"$@\""
    return ["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc", "--propagation",
            "private", "--", "sh", "-c", script, "sandbox", *kernel]


def main(argv: list[str]) -> None:
    """The kernelspec's command: `python -m helpers.grading.sandbox LIMITS_JSON CONNECTION_FILE`."""
    limits = Limits(**json.loads(argv[0]))
    tag = os.environ.get(TAG_VARIABLE, f"pid{os.getpid()}")
    (_state_dir() / f"l2a-{tag}.pid").write_text(str(os.getpgrp()))
    cgroups = _join_cgroup(tag, limits) if is_root() else set()
    scratch = tempfile.mkdtemp(prefix="kernel-", dir=_state_dir())
    os.chdir(scratch)
    _set_rlimits(limits, cgroups)
    command = _sandboxed_command(limits, argv[1], scratch)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
