"""The kernel a submission runs in: its own user, its own filesystem view, limits, no network.

The sandbox kernelspec's command is helpers/grading/launcher.py. For each kernel it:

* puts itself in a cgroup of the kernel's own (as root): pids.max stops a fork bomb, memory.max an
  allocation bomb, and `cgroup.kill` ends every process of the kernel at once;
* enters new mount, PID, network, IPC and UTS namespaces (as root; as another user, inside a user
  namespace of its own when the system allows one): no network, no other process in sight;
* builds a root filesystem from an allow-list and pivots into it: the system's programs and libraries,
  Python and its packages, read-only; the course's `helpers` replaced by a copy holding only what a
  graded notebook may import (no answers); the grader's cases for this lesson, read-only; the kernel's
  own socket folder; a fresh /tmp. The course checkout, the grading folders, the submissions and the
  grader's home are simply not there;
* becomes an unprivileged user of its own (root: a uid no account has, one per kernel) without
  capabilities, with `no_new_privs`, rlimits on CPU time, file size and core dumps, an environment
  of its own (none of the grader's variables), and execs ipykernel.

`mode()` says which of these this machine allows, `enforced()` says it in words.
"""
from __future__ import annotations

import ctypes
import functools
import json
import os
import platform
import resource
import shutil
import signal
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

KERNEL_NAME = "l2a-sandbox"
CONFIG_VARIABLE = "L2A_SANDBOX"
CGROUP_ROOT = Path("/sys/fs/cgroup")
UID_BASE = 2_000_000                         # kernels' users: uids no account has
SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"]
DEVICES = ["null", "zero", "full", "random", "urandom"]
TMP_MB = 256


@dataclass(frozen=True)
class Limits:
    """Per-submission limits. cell_seconds is nbgrader's Execute.timeout; the rest apply to the kernel."""
    cell_seconds: int = 60
    notebook_seconds: int = 300
    memory_mb: int = 2048
    processes: int = 128
    file_mb: int = 64


@dataclass(frozen=True)
class Kernel:
    """What the launcher of one kernel is told (in $L2A_SANDBOX, by the grader)."""
    tag: str                  # names the kernel's cgroup
    uid: int                  # its user, when run as root
    helpers: str              # the copy of helpers that replaces the real one in the kernel's view
    reveal: tuple = ()        # folders shown read-only at their own path (the lesson's cases)
    sockets: str = ""         # the kernel's socket folder (ZeroMQ's ipc transport), shown writable
    limits: dict | None = None
    mode: str = ""            # "root", "userns" or "none"; by default what this machine allows (`mode()`)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> Kernel:
        data = json.loads(text)
        data["reveal"] = tuple(data.get("reveal", ()))
        return Kernel(**data)


def mode() -> str:
    """"root" (every protection), "userns" (namespaces without cgroups or a user of its own) or "none"."""
    if not sys.platform.startswith("linux"):
        return "none"
    if os.geteuid() == 0:
        return "root"
    return "userns" if _user_namespaces_allowed() else "none"


@functools.lru_cache(maxsize=1)
def _user_namespaces_allowed() -> bool:
    """Whether this user can make the namespaces a kernel needs: tried in a child process."""
    child = os.fork()
    if child == 0:
        flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
        os._exit(0 if LIBC.unshare(flags) == 0 else 1)
    return os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0


def enforced(how: str | None = None) -> list[str]:
    """The protections a submission's kernel gets on this machine, in words."""
    how = how or mode()
    always = ["the grader judges outside the kernel (hidden tests and expected values never enter it)",
              "per-cell and whole-notebook time limits", "CPU seconds, file size and core dumps (rlimits)"]
    if how == "none":
        return always + ["memory (address-space rlimit)", "NOT isolated without root or user namespaces: the kernel "
                         "runs as the grader's user and sees what it sees (grading files included)"]
    view = ["a filesystem view of its own (system, Python and an answer-free copy of the helpers, read-only; "
            "no course checkout, grading folders, submissions or home)", "no network, no other process in sight "
            "(namespaces)", "no capabilities, no new privileges"]
    if how == "userns":
        return always + view + ["memory (address-space rlimit)", "process count (RLIMIT_NPROC)",
                                "NOT as root: the kernel keeps the grader's uid outside its namespace, and no "
                                "cgroup limits or kills its processes (they die with its namespace)"]
    cgroups = cgroup_controllers()
    return always + view + [
        "a user of its own (an unprivileged uid per kernel)",
        "memory (cgroup)" if "memory" in cgroups else "memory (address-space rlimit)",
        "process count (cgroup pids.max)" if "pids" in cgroups else "NOT enforced: process count (no pids cgroup)",
        "its processes ended together (cgroup.kill)" if "kill" in cgroups else
        "its processes ended together (with its PID namespace)"]


def install_kernelspec(directory: Path) -> str:
    """Write the sandbox kernelspec into directory/kernels (put `directory` on JUPYTER_PATH); return its name."""
    spec = directory / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    launcher = Path(__file__).with_name("launcher.py")
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-I", str(launcher), "{connection_file}"],
        "display_name": "Python 3 (grading sandbox)", "language": "python", "interrupt_mode": "signal"}, indent=1))
    return KERNEL_NAME


# --- cgroups ---------------------------------------------------------------------------------------------

def _v2_root() -> Path | None:
    for root in (CGROUP_ROOT, CGROUP_ROOT / "unified"):
        if (root / "cgroup.procs").exists() and (root / "cgroup.subtree_control").exists():
            return root
    return None


def _cgroup_dirs(tag: str) -> dict[str, Path]:
    """Where the kernel's cgroup lives, per purpose ("pids", "memory", "kill"); empty when unavailable."""
    name, dirs = f"l2a-{tag}", {}
    v2 = _v2_root()
    if v2 is not None:
        dirs["kill"] = v2 / name
        controllers = (v2 / "cgroup.controllers").read_text().split() if (v2 / "cgroup.controllers").exists() else []
        dirs.update({c: v2 / name for c in ("pids", "memory") if c in controllers})
    for controller in ("pids", "memory"):
        if controller not in dirs and (CGROUP_ROOT / controller / "cgroup.procs").exists():
            dirs[controller] = CGROUP_ROOT / controller / name
    return dirs if os.geteuid() == 0 else {}


def cgroup_controllers() -> set[str]:
    return set(_cgroup_dirs("probe"))


def join_cgroups(tag: str, limits: Limits) -> set[str]:
    """Move this process into the kernel's cgroups, with the limits; return what worked."""
    settings = {"pids": {"pids.max": str(limits.processes)},
                "memory": {"memory.max": str(limits.memory_mb << 20), "memory.swap.max": "0",
                           "memory.limit_in_bytes": str(limits.memory_mb << 20)}}
    joined = set()
    for purpose, folder in _cgroup_dirs(tag).items():
        try:
            folder.mkdir(exist_ok=True)
            for name, value in settings.get(purpose, {}).items():
                if (folder / name).exists():
                    (folder / name).write_text(value)
            (folder / "cgroup.procs").write_text(str(os.getpid()))
            joined.add(purpose)
        except OSError:
            continue
    return joined


def kill(tag: str) -> None:
    """End every process of the kernel tagged `tag`."""
    dirs = _cgroup_dirs(tag)
    if "kill" in dirs and (dirs["kill"] / "cgroup.kill").exists():
        try:
            (dirs["kill"] / "cgroup.kill").write_text("1")
        except OSError:
            pass
    for folder in set(dirs.values()):
        _empty(folder)


def _empty(folder: Path) -> None:
    """Kill what a cgroup holds until it is empty (cgroup v1 has no cgroup.kill)."""
    for _ in range(100):
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
        time.sleep(0.01)


def remove_cgroups(tag: str) -> None:
    """End the kernel's processes and remove its cgroups."""
    kill(tag)
    for folder in set(_cgroup_dirs(tag).values()):
        for _ in range(50):
            try:
                folder.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.01)


# --- the kernel's view and user -------------------------------------------------------------------------

LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = \
    0x20000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = \
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 1, 24, 38, 47, 4
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(platform.machine())


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def die_with_parent() -> None:
    """Be killed when the process that started this one ends."""
    LIBC.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def unshare(how: str) -> None:
    """New namespaces for this process's next child (it becomes process 1 of the PID namespace)."""
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    if how == "userns":
        uid, gid = os.getuid(), os.getgid()
        _check(LIBC.unshare(flags | CLONE_NEWUSER), "unshare")
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    else:
        _check(LIBC.unshare(flags), "unshare")


def _mount(source, target, kind, flags, data=None) -> None:
    encode = lambda v: None if v is None else os.fsencode(v)  # noqa: E731
    _check(LIBC.mount(encode(source), encode(target), encode(kind), flags, encode(data)), f"mount {target}")


def _bind(source: str, root: Path, *, writable: bool = False, at: str | None = None) -> None:
    """Show `source` inside `root` at its own path (or `at`), read-only unless `writable`."""
    target = root / (at or source).lstrip("/")
    if Path(source).is_dir():
        target.mkdir(parents=True, exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch(exist_ok=True)
    _mount(source, target, None, MS_BIND | MS_REC)
    if not writable:
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _python_paths() -> list[str]:
    """Where this Python, its standard library and its packages live (outside the system folders)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths |= {p for p in sys.path if p and os.path.isdir(p) and "site-packages" in p}
    kept = sorted({os.path.realpath(p) for p in paths} | paths)
    return [p for p in kept if not any(p == s or p.startswith(s + "/") for s in SYSTEM_PATHS)]


def build_view(kernel: Kernel, home_uid: int) -> None:
    """In the kernel's mount namespace: a root from the allow-list, pivoted into; /proc and /tmp fresh."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = Path(kernel.sockets).parent / f".root-{kernel.tag}"
    root.mkdir(mode=0o755, exist_ok=True)
    _mount("l2a-root", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m")
    for path in SYSTEM_PATHS:
        if os.path.islink(path):
            (root / path.lstrip("/")).symlink_to(os.readlink(path))
        elif os.path.isdir(path):
            _bind(path, root)
    for folder in ("proc", "tmp", "dev/shm", "var/tmp", ".old"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for folder in ("tmp", "dev/shm", "var/tmp"):   # before what is shown inside them (a checkout in /tmp, say)
        _mount("l2a-tmp", root / folder, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={TMP_MB}m")
    helpers_here = Path(__file__).resolve().parents[1]
    for path in _python_paths():
        if not (helpers_here == Path(path) or Path(path) in helpers_here.parents):   # not the whole checkout
            _bind(path, root)
    _bind(kernel.helpers, root, at=str(helpers_here))
    for path in kernel.reveal:
        _bind(path, root)
    _bind(kernel.sockets, root, writable=True)
    (root / "dev").mkdir(exist_ok=True)
    for device in DEVICES:
        _bind(f"/dev/{device}", root)
    (root / "dev" / "fd").symlink_to("/proc/self/fd")
    for number, name in enumerate(("stdin", "stdout", "stderr")):
        (root / "dev" / name).symlink_to(f"/proc/self/fd/{number}")
    _mount("proc", root / "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)   # while the old /proc is in sight
    if PIVOT_ROOT is None:
        raise OSError("pivot_root: unknown system call number on this machine")
    _check(LIBC.syscall(PIVOT_ROOT, os.fsencode(str(root)), os.fsencode(str(root / ".old"))), "pivot_root")
    os.chdir("/")
    _check(LIBC.umount2(b"/.old", MNT_DETACH), "umount the old root")
    os.rmdir("/.old")
    _mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    home = Path("/tmp/home")
    (home / ".jupyter").mkdir(parents=True)
    for path in (home, home / ".jupyter"):
        os.chown(path, home_uid, home_uid)


def set_rlimits(limits: Limits, cgroups: set[str], processes_now: int = 0) -> None:
    def cap(which: int, value: int) -> None:
        hard = resource.getrlimit(which)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))

    cap(resource.RLIMIT_CPU, 2 * limits.notebook_seconds)     # NumPy's threads add CPU time faster than wall time
    cap(resource.RLIMIT_FSIZE, limits.file_mb << 20)
    cap(resource.RLIMIT_CORE, 0)
    cap(resource.RLIMIT_AS, (limits.memory_mb + 1024) << 20)   # + room for the interpreter's own mappings: one
    # allocation too large raises MemoryError in the student's code; the cgroup (where there is one) limits the sum
    if "pids" not in cgroups and os.geteuid() != 0:
        cap(resource.RLIMIT_NPROC, processes_now + limits.processes)


def tasks_of_this_user() -> int:
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


def drop_privileges(uid: int | None) -> None:
    """No capabilities, ever again; as root, become `uid` (group `uid`, no supplementary groups) first."""
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for capability in range(last + 1):
        _check(LIBC.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0), "drop the capability bounding set")
    _check(LIBC.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient capabilities")
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)               # _LINUX_CAPABILITY_VERSION_3, this process
    _check(LIBC.capset(header, (ctypes.c_uint32 * 6)()), "capset")   # effective, permitted, inheritable: none
    _check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no new privileges")


def kernel_environment() -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's."""
    return {"PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": "/tmp/home", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
            "JUPYTER_RUNTIME_DIR": "/tmp/home/.jupyter", "MPLCONFIGDIR": "/tmp/home/.matplotlib",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def copy_helpers(allowed: list[str], target: Path) -> Path:
    """Copy the allowed files of the course's helpers package (paths relative to it) into `target`."""
    source = Path(__file__).resolve().parents[1]
    for relative in allowed:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, destination)
    for folder in [target, *(p for p in target.rglob("*") if p.is_dir())]:
        folder.chmod(0o755)
    for file in (p for p in target.rglob("*") if p.is_file()):
        file.chmod(0o644)
    return target
