"""Throwaway Linux accounts for tests that need real users: create, act as, and remove them (root only)."""
from __future__ import annotations

import contextlib
import os
import pwd
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil


def create(name: str) -> Path:
    """A system account with a private home (Debian's adduser: mode 0700), as the hub makes for a student."""
    subprocess.run(["adduser", "--quiet", "--disabled-password", "--gecos", "", name], check=True)
    return Path(pwd.getpwnam(name).pw_dir)


def exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def processes(names: list[str]) -> list[psutil.Process]:
    """The running processes of these accounts."""
    uids = {pwd.getpwnam(name).pw_uid for name in names if exists(name)}
    return [p for p in psutil.process_iter(["uids", "status"])            # a zombie has exited already
            if p.info["uids"] and p.info["uids"].real in uids and p.info["status"] != psutil.STATUS_ZOMBIE]


def remove(names: list[str]) -> None:
    """Kill the accounts' processes (each by its pid) and delete the accounts with their homes."""
    for process in processes(names):
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(processes(names), timeout=10)
    for name in names:
        if exists(name):
            subprocess.run(["userdel", "--remove", name], check=True, stderr=subprocess.DEVNULL)


def run_as(name: str, command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
           check: bool = False) -> subprocess.CompletedProcess:
    """Run `command` as the account, with a clean environment (plus `env`)."""
    home = pwd.getpwnam(name).pw_dir
    clean = {"HOME": home, "USER": name, "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", **(env or {})}
    return subprocess.run(["runuser", "-u", name, "--", "env", "-i", *(f"{k}={v}" for k, v in clean.items()),
                           *command], cwd=cwd, capture_output=True, text=True, check=check)


@contextlib.contextmanager
def searchable_by_all(paths: list[Path]) -> Iterator[None]:
    """Let every account reach `paths` for the duration: add search (x, not read) permission for others
    to each ancestor folder that lacks it, e.g. a checkout or a Python under /root (mode 0700); then restore.
    """
    closed: dict[Path, int] = {}
    for path in paths:
        for folder in [path, *path.parents] if path.is_dir() else path.parents:
            mode = folder.stat().st_mode
            if not mode & stat.S_IXOTH:
                closed[folder] = stat.S_IMODE(mode)
    try:
        for folder, mode in closed.items():
            os.chmod(folder, mode | stat.S_IXOTH)
        yield
    finally:
        for folder, mode in closed.items():
            os.chmod(folder, mode)
