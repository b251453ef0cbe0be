"""The kernel a submission runs in: limits on time, memory and processes, no network, hidden files.

Kernels are forked from a warm process (`helpers.grading.forkserver`); before it runs the student's
notebook, each one confines itself here:

- always: resource limits (CPU seconds, file size, no core dumps; address space and process count
  where no cgroup does it better), and a working directory of its own;
- as root, on Linux: a cgroup caps its processes (pids.max: a fork bomb stops there) and memory;
  new network, mount and PID namespaces (no network; the grading folders and the course's solutions
  covered by empty read-only tmpfs; every process it starts dies with it); and it drops every
  capability, so it cannot lift the limits or uncover the files.

The kernel talks to nbgrader over Unix sockets (ZeroMQ's ipc transport), which work across the
network namespace. `enforced()` says which of these this machine gives.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from helpers.grading import standin
from helpers.grading.standin import pid_file

KERNEL_NAME = "l2a-sandbox"
CGROUP_ROOT = Path("/sys/fs/cgroup")


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


def can_isolate() -> bool:
    """Namespaces, mounts and capabilities: root on Linux."""
    return is_root() and sys.platform.startswith("linux")


def state_dir() -> Path:
    """Where kernels' scratch folders go: the grading run's Jupyter runtime folder."""
    return Path(os.environ.get("JUPYTER_RUNTIME_DIR", tempfile.gettempdir()))


def _cgroup_dirs(tag: str) -> dict[str, Path]:
    """Where this kernel's cgroup lives, per controller (cgroup v1 or v2); empty when unavailable."""
    name = f"l2a-{tag}"
    if (CGROUP_ROOT / "cgroup.controllers").exists():                       # cgroup v2
        controllers = (CGROUP_ROOT / "cgroup.controllers").read_text().split()
        return {c: CGROUP_ROOT / name for c in ("pids", "memory") if c in controllers}
    return {c: CGROUP_ROOT / c / name for c in ("pids", "memory") if (CGROUP_ROOT / c / "cgroup.procs").exists()}


def cgroup_controllers() -> set[str]:
    """The cgroup controllers a kernel can be limited by here ("pids", "memory")."""
    return set(_cgroup_dirs("probe"))


def enforced() -> list[str]:
    """The limits this machine enforces on a submission's kernel, in words."""
    always = ["per-cell timeout (nbgrader)", "whole-notebook time limit (the grader kills the kernel)",
              "CPU seconds, file size and core dumps (rlimits)"]
    if not can_isolate():
        return always + ["memory (address-space rlimit)", "process count (RLIMIT_NPROC, counts all of this user's "
                         "processes)", "NOT enforced without root: no-network, hidden grading files"]
    cgroups = cgroup_controllers()
    return always + [
        "memory (cgroup memory limit)" if "memory" in cgroups else "memory (address-space rlimit)",
        "process count (cgroup pids.max)" if "pids" in cgroups else "NOT enforced: process count (root ignores "
        "RLIMIT_NPROC and no pids cgroup is available)",
        "no network (new network namespace)", "grading files and solutions hidden (mount namespace)",
        "processes die with the kernel (PID namespace)", "no capabilities"]


def install_kernelspec(directory: Path) -> str:
    """Write the sandbox kernelspec into directory/kernels (put `directory` on JUPYTER_PATH); return its name.

    Its command is the stand-in, which asks the fork server named by $L2A_FORKSERVER for a kernel
    (see helpers.grading.forkserver); it runs without site-packages, so it starts at once.
    """
    spec = directory / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-I", "-S", standin.__file__, "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv, "display_name": "Python 3 (grading sandbox)", "language": "python",
        "interrupt_mode": "signal", "env": {"PYTHONHASHSEED": "0", "MPLBACKEND": "agg"}}, indent=1))
    return KERNEL_NAME


def kill_kernel(tag: str) -> None:
    """Kill every process of the kernel tagged `tag` (the grader's whole-notebook time limit)."""
    pidfile = Path(pid_file(tag))
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
    Path(pid_file(tag)).unlink(missing_ok=True)


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


LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID = 0x00020000, 0x40000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 4096, 16384, 1 << 18
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 38, 47, 4


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def enter_cgroup_and_namespaces(tag: str, limits: Limits) -> set[str]:
    """In the process that will fork the kernel, as root: join the kernel's cgroup (returns the controllers
    that worked), then new mount, network and PID namespaces (its next child is process 1 of the new one)."""
    if not can_isolate():
        return set()
    joined = _join_cgroup(tag, limits)
    _check(LIBC.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID), "unshare")
    return joined


def confine(limits: Limits, cgroups: set[str]) -> None:
    """In the kernel, before the student's code: hide the grading files, limits, a scratch folder, no
    capabilities. As root the kernel is process 1 of its own PID namespace, with a /proc of its own."""
    isolated = can_isolate()
    if isolated:
        last_capability = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
        _check(LIBC.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
        for path in limits.hide:
            target = os.fsencode(path)
            if Path(path).is_dir():
                _check(LIBC.mount(b"l2a-hidden", target, b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                   b"size=4k,mode=000"), f"hide {path}")
            elif Path(path).exists():
                _check(LIBC.mount(b"/dev/null", target, None, MS_BIND, None), f"hide {path}")
        _check(LIBC.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "mount /proc")
    scratch = tempfile.mkdtemp(prefix="kernel-", dir=state_dir())
    os.chdir(scratch)
    _set_rlimits(limits, cgroups)
    if isolated:
        for capability in range(last_capability + 1):
            _check(LIBC.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0), "drop the capability bounding set")
        _check(LIBC.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient capabilities")
        header = (ctypes.c_uint32 * 2)(0x20080522, 0)            # _LINUX_CAPABILITY_VERSION_3, this process
        _check(LIBC.capset(header, (ctypes.c_uint32 * 6)()), "capset")   # effective, permitted, inheritable: none
        _check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no new privileges")
