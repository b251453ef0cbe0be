"""`make lab` as the browser tests run it: on loopback with a random token, stopped with its process group.

The server keeps its workspaces, user settings and checkpoints in a scratch folder, so a test run writes
nothing into the repository or the home directory; its user settings turn autosave off, so notebooks the
tests run are never saved behind their back.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.notebooks import ROOT

NO_AUTOSAVE = ("@jupyterlab/docmanager-extension", "plugin.jupyterlab-settings", {"autosave": False})


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its address, its token and its log."""
    url: str
    token: str
    log: Path

    def address(self, path: str) -> str:
        """The URL of `path` on this server, logged in by the token."""
        return f"{self.url}{path}?token={self.token}"

    def api(self, method: str, path: str) -> object:
        """Call the server's REST API; the decoded JSON answer (None if empty)."""
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """End every notebook session and its kernel, so that kernels do not pile up between notebooks."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(lab: Lab, process: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"make lab exited before JupyterLab started:\n{lab.log.read_text()}"
        try:
            lab.api("GET", "/api/status")
            return
        except OSError:
            time.sleep(0.5)  # polling interval while the server starts, not an assertion
    raise TimeoutError(f"JupyterLab did not answer at {lab.url}")


def living_members(group: int) -> list[int]:
    """Process ids of the processes of a process group that are still running (zombies excluded)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        state, process_group = fields[0], int(fields[2])
        if process_group == group and state != "Z":
            members.append(int(stat.parent.name))
    return members


def _stop(process: subprocess.Popen, seconds: float = 120) -> None:
    """SIGTERM to the whole group (make and JupyterLab, which shuts its kernels down); SIGKILL if it lingers."""
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=seconds)
    deadline = time.monotonic() + seconds
    while living_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)  # polling interval while the server shuts down, not an assertion
    lingering = living_members(process.pid)
    if lingering:
        os.killpg(process.pid, signal.SIGKILL)
    assert not lingering, f"processes {lingering} of `make lab` outlived SIGTERM by {seconds} s"


@contextmanager
def running_lab(scratch: Path) -> Iterator[Lab]:
    """Start JupyterLab through `make lab` on a free loopback port; stop it and its process group after."""
    settings_dir, settings_file, settings = NO_AUTOSAVE
    (scratch / "user-settings" / settings_dir).mkdir(parents=True)
    (scratch / "user-settings" / settings_dir / settings_file).write_text(json.dumps(settings))
    port, token = _free_port(), secrets.token_hex(24)
    flags = [
        "--no-browser", "--ServerApp.ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--LabApp.workspaces_dir={scratch / 'workspaces'}",
        f"--LabApp.user_settings_dir={scratch / 'user-settings'}",
        f"--FileCheckpoints.root_dir={scratch / 'checkpoints'}",
    ]
    lab = Lab(url=f"http://127.0.0.1:{port}", token=token, log=scratch / "lab.log")
    with lab.log.open("w") as out:
        process = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_FLAGS={' '.join(flags)}"], cwd=ROOT,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(lab, process)
        yield lab
    finally:
        _stop(process)
