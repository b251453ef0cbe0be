"""The course on a real JupyterHub (deploy/jupyterhub_config.py): a class's whole cycle with nbgrader's exchange.

JupyterHub from PyPI with the real configurable-http-proxy from npm (`make setup` installs it in
.venv/node), PAM accounts, LocalProcessSpawner and the formgrader as a hub service, all on 127.0.0.1.
An instructor and two students are hub users; the hub creates their system accounts. The instructor
works through the formgrader service with their own API token, and grades as the grader account;
students work through their own single-user servers' REST API (the calls JupyterLab's Assignment List
makes). Root only, since the hub spawns servers as other users: skipped elsewhere, a failure in CI.
"""
from __future__ import annotations

import contextlib
import csv
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest
import requests
from nbgrader.api import Gradebook

from tests import system_accounts as accounts
from tests.notebooks import ROOT, nbgrader, read, solved

pytestmark = pytest.mark.slow
COURSE_ID, LESSON, NOTEBOOK = "loops-to-attention", "01_matrix_vs_loop", "matrix_vs_loop.ipynb"
BIN = Path(sys.executable).parent
PROXY_BIN = ROOT / ".venv" / "node" / "node_modules" / ".bin"
DEPLOY = ROOT / "deploy"
FORMGRADER = f"/services/{COURSE_ID}/formgrader"
PASSWORD = secrets.token_urlsafe(12)


def _free_ports(count: int) -> list[int]:
    """Distinct free ports on 127.0.0.1 (all held open while choosing, so none repeats)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def _require(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (in CI, `make test` runs as root and installs it)")
        pytest.skip(reason)


class Hub:
    """JupyterHub with deploy/jupyterhub_config.py, plus a token for the test to manage users and servers."""

    def __init__(self, state: Path, env: dict[str, str]):
        self.state, self.admin_token = state, secrets.token_hex(32)
        public, hub, proxy_api, formgrader = _free_ports(4)
        self.ports = {public, hub, proxy_api, formgrader}
        self.url = f"http://127.0.0.1:{public}"
        config = state / "jupyterhub_config.py"
        config.write_text(f"""c = get_config()
load_subconfig({str(DEPLOY / 'jupyterhub_config.py')!r})
# The test's own: loopback ports, and a service whose token drives the REST API as an admin would.
c.JupyterHub.bind_url = {self.url!r}
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api}"
c.JupyterHub.services.append({{"name": "test-driver", "api_token": {self.admin_token!r}}})
c.JupyterHub.load_roles.append({{"name": "test-driver", "services": ["test-driver"],
                                "scopes": ["admin:users", "admin:servers", "tokens", "list:services"]}})
""")
        self.log = state / "hub.log"
        env = {**os.environ, **env, "COURSE_FORMGRADER_PORT": str(formgrader),
               "PATH": f"{PROXY_BIN}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}"}
        with self.log.open("w") as out:
            self.process = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(config)], cwd=state, env=env,
                                            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        self.admin = self.session(self.admin_token)

    def wait_until_up(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"JupyterHub exited:\n{self.log_tail()}"
            try:
                if self.admin.get(f"{self.url}/hub/api/", timeout=5).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"JupyterHub did not answer at {self.url}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text().splitlines()[-lines:])

    @staticmethod
    def session(token: str) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"token {token}"
        return session

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """An admin call to the hub's REST API, which must succeed."""
        response = self.admin.request(method, f"{self.url}/hub/api{path}", timeout=60, **kwargs)
        assert response.ok, f"{method} {path}: {response.status_code} {response.text}\n{self.log_tail()}"
        return response

    def token_for(self, user: str) -> str:
        return self.api("POST", f"/users/{user}/tokens", json={"note": "test"}).json()["token"]

    def start_servers(self, users: list[str], seconds: float = 120) -> None:
        for user in users:
            self.api("POST", f"/users/{user}/server")
        deadline = time.monotonic() + seconds
        while not all(self.api("GET", f"/users/{u}").json()["servers"].get("", {}).get("ready") for u in users):
            assert time.monotonic() < deadline, f"servers did not start:\n{self.log_tail()}"
            time.sleep(0.5)

    def proxy_pid(self) -> int:
        return int((self.state / "jupyterhub-proxy.pid").read_text())

    def stop(self, seconds: float = 90) -> int:
        """SIGTERM, as systemd would; JupyterHub stops its service, the servers and the proxy. Exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def kill_leftovers(self) -> None:
        """After a failure: end the hub and the proxy it started, each by its pid."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if (self.state / "jupyterhub-proxy.pid").exists() and psutil.pid_exists(self.proxy_pid()):
            psutil.Process(self.proxy_pid()).kill()


@pytest.fixture
def people():
    """Unique account names for this run: the grader account, an instructor, two students; removed afterwards."""
    _require(os.geteuid() == 0, "needs root: the hub spawns each user's server as that system user")
    _require((PROXY_BIN / "configurable-http-proxy").exists(),
             f"needs configurable-http-proxy in {PROXY_BIN} (`make setup` installs it with npm)")
    tag = secrets.token_hex(3)
    names = {role: f"l2a-{role}-{tag}" for role in ("grader", "teach", "s1", "s2")}
    try:
        yield names
    finally:
        accounts.remove(list(names.values()))


@pytest.fixture
def exchange():
    """nbgrader's shared exchange as deploy/README.md sets it up: a folder of mode 1777 every user can reach."""
    top = Path(tempfile.mkdtemp(prefix="l2a-hub-"))
    top.chmod(0o755)
    (top / "exchange").mkdir(mode=0o1777)
    (top / "exchange").chmod(0o1777)
    try:
        yield top / "exchange"
    finally:
        shutil.rmtree(top)


def _course_dir(grader: str) -> Path:
    """The grader account and its course directory (a copy of the repository's course), as the guide says."""
    home = accounts.create(grader)
    course = home / COURSE_ID
    course.mkdir()
    shutil.copytree(ROOT / "solutions", course / "solutions")
    shutil.copytree(ROOT / "notebooks", course / "notebooks")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    subprocess.run(["chown", "-R", f"{grader}:", str(course)], check=True)
    return course


def _grade(course_dir: Path, lesson: str, grader: str) -> None:
    """Grade the collected submissions as the grader account with the course's own command: scores in
    gradebook.db, feedback/ for nbgrader's release_feedback, reports/<lesson>/grades.csv."""
    accounts.run_as(grader, [str(BIN / "course"), "grade", lesson, str(course_dir / "submitted"), "--out",
                             str(course_dir), "--jobs", "2"], cwd=course_dir, env={"PATH": f"{BIN}:/usr/bin:/bin"},
                    check=True)
    with (course_dir / "reports" / lesson / "grades.csv").open() as rows:
        assert {row["status"] for row in csv.DictReader(rows)} == {"graded"}


def _log_in(url: str, user: str, password: str) -> requests.Response:
    """Log in through the hub's login form, as a browser does; the response after the redirects."""
    browser = requests.Session()
    form = browser.get(f"{url}/hub/login", timeout=30).text
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form).group(1)
    return browser.post(f"{url}/hub/login", data={"username": user, "password": password, "_xsrf": xsrf}, timeout=60)


def _lab_page_config(page: str) -> dict:
    """The configuration JupyterLab's page hands to the browser."""
    return json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page,
                                flags=re.DOTALL).group(1))


def _assignment_action(student: requests.Session, base: str, action: str) -> dict:
    """What the Assignment List does: POST to nbgrader's handler in the student's own server."""
    response = student.post(f"{base}/assignments/{action}", params={"course_id": COURSE_ID, "assignment_id": LESSON},
                            timeout=60)
    assert response.ok, f"{action}: {response.status_code} {response.text}"
    body = response.json()
    assert body["success"], f"{action}: {body}"
    return body


def _feedback_score(student: requests.Session, base: str) -> tuple[float, float]:
    """The score the student's fetched feedback shows, read through their server's contents API."""
    folder = student.get(f"{base}/api/contents/{LESSON}/feedback", timeout=30).json()
    (timestamp,) = folder["content"]
    page = student.get(f"{base}/api/contents/{timestamp['path']}/{NOTEBOOK.replace('.ipynb', '.html')}",
                       params={"format": "text", "type": "file"}, timeout=30).json()["content"]
    got, out_of = re.search(r"Score: ([\d.]+) / ([\d.]+)", page).groups()
    return float(got), float(out_of)


def _denied(result: subprocess.CompletedProcess) -> bool:
    return result.returncode != 0 and "Permission denied" in result.stderr


def test_a_class_on_jupyterhub_releases_submits_grades_and_returns_feedback(people, exchange, tmp_path):
    grader, teacher = people["grader"], people["teach"]
    points = sum(nbgrader(c)["points"] for c in read(ROOT / "solutions" / LESSON / NOTEBOOK).cells
                 if nbgrader(c).get("grade"))
    # The single-user servers run the checkout's own venv (the course's environment) as the test's users.
    with accounts.searchable_by_all([Path(sys.executable).resolve(), ROOT / ".venv", DEPLOY, PROXY_BIN]):
        course = _course_dir(grader)
        hub = Hub(tmp_path, {"COURSE_EXCHANGE": str(exchange), "COURSE_GRADER": grader, "COURSE_INSTRUCTORS": teacher})
        try:
            hub.wait_until_up()
            _walk_the_cycle(hub, course, exchange, people, points)
            pids = {hub.process.pid, hub.proxy_pid()} | {p.pid for p in accounts.processes(list(people.values()))}
            ports = {c.laddr.port for c in psutil.net_connections("tcp")
                     if c.status == psutil.CONN_LISTEN and c.pid in pids}
            assert hub.ports < ports, "the hub, proxy and formgrader ports, and the servers' and kernel's"
            proxy = hub.proxy_pid()
            assert hub.stop() == 0, f"JupyterHub did not stop cleanly:\n{hub.log_tail()}"
        finally:
            hub.kill_leftovers()
    assert not psutil.pid_exists(proxy), "the proxy outlived the hub"
    # A kernel whose server has just ended notices within a second (ipykernel polls its parent) and exits.
    _, left = psutil.wait_procs(accounts.processes(list(people.values())), timeout=15)
    assert not left, f"left running 15 s after the hub stopped: {[p.cmdline() for p in left]}"
    listening = {c.laddr.port for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
    assert not ports & listening, f"ports still open after the hub stopped: {ports & listening}"


def _walk_the_cycle(hub: Hub, course: Path, exchange: Path, people: dict[str, str], points: float) -> None:
    grader, teacher, s1, s2 = people["grader"], people["teach"], people["s1"], people["s2"]
    # The instructor enrols the students: the hub creates their accounts, with private homes.
    hub.api("POST", "/users", json={"usernames": [s1, s2]})
    assert COURSE_ID in hub.api("GET", "/services").json()
    hub.start_servers([s1, s2])
    teach, one, two = (hub.session(hub.token_for(user)) for user in (teacher, s1, s2))
    base = {s1: f"{hub.url}/user/{s1}", s2: f"{hub.url}/user/{s2}"}

    # A student logs in with their system password (PAM) and lands in JupyterLab; a wrong password fails.
    subprocess.run(["chpasswd"], input=f"{s1}:{PASSWORD}\n", text=True, check=True)
    assert _log_in(hub.url, s1, "not-" + PASSWORD).status_code == 403
    landed = _log_in(hub.url, s1, PASSWORD)
    assert landed.ok and landed.url.startswith(f"{base[s1]}/lab"), landed.url

    # The formgrader answers the instructor, and nobody else; a student's server answers only its owner
    # and has no instructor tools (deploy/jupyter_server_config.py, labconfig/).
    page = teach.get(f"{hub.url}{FORMGRADER}", timeout=30)
    assert page.ok and "formgrader" in page.url and "nbgrader" in page.text.lower()
    assert one.get(f"{hub.url}{FORMGRADER}", timeout=30, allow_redirects=False).status_code == 403
    assert two.get(f"{base[s1]}/api/contents", timeout=30, allow_redirects=False).status_code == 403
    assert one.get(f"{base[s1]}/formgrader", timeout=30, allow_redirects=False).status_code == 404
    assert "@jupyter/nbgrader:formgrader" in _lab_page_config(landed.text)["disabledExtensions"]

    # The instructor records lesson 1 in the gradebook and releases it to the exchange.
    api = f"{hub.url}{FORMGRADER}/api/assignment/{LESSON}"
    for step in ("assign", "release"):
        response = teach.post(f"{api}/{step}", timeout=120)
        assert response.ok and response.json()["success"], f"{step}: {response.text}"

    # Both students fetch it; student 1 fills it in (the solution), student 2 submits the stub as fetched.
    for student, user in ((one, s1), (two, s2)):
        _assignment_action(student, base[user], "fetch")
    solution = solved(LESSON)
    saved = one.put(f"{base[s1]}/api/contents/{LESSON}/{NOTEBOOK}", json={"type": "notebook", "content": solution},
                    timeout=30)
    assert saved.ok, saved.text
    _assignment_action(one, base[s1], "submit")
    _assignment_action(two, base[s2], "submit")

    # The instructor collects, grades, releases feedback; the students fetch it.
    response = teach.post(f"{api}/collect", timeout=120)
    assert response.ok and response.json()["success"], response.text
    _grade(course, LESSON, grader)
    response = teach.post(f"{api}/release_feedback", timeout=120)
    assert response.ok and response.json()["success"], response.text
    for student, user, expected in ((one, s1, points), (two, s2, 0)):
        _assignment_action(student, base[user], "fetch_feedback")
        assert _feedback_score(student, base[user]) == (expected, points)
    _check_isolation(course, exchange, s1, s2)

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        first, second = (gradebook.find_submission(LESSON, s) for s in (s1, s2))
        assert first.max_score == second.max_score == points
        assert first.score == points, "the solution lost points"
        assert second.score == 0, "the unfilled stub earned points"

    _check_limits(one, base[s1], s1)


def _check_isolation(course: Path, exchange: Path, s1: str, s2: str) -> None:
    """Student 2, at a shell of their own, cannot reach student 1's work, the course directory or the grades."""
    inbound = exchange / COURSE_ID / "inbound"
    (submission,) = [p for p in inbound.iterdir() if p.name.startswith(f"{s1}+")]
    home = Path(pwd.getpwnam(s1).pw_dir)
    as_s2 = {
        "list the inbound submissions": ["ls", str(inbound)],
        "read student 1's notebook": ["cat", str(home / LESSON / NOTEBOOK)],
        "read student 1's nbgrader cache": ["ls", str(home / ".local" / "share" / "jupyter" / "nbgrader_cache")],
        "read the gradebook": ["cat", str(course / "gradebook.db")],
        "list the course directory": ["ls", str(course)],
        "list the released feedback": ["ls", str(exchange / COURSE_ID / "feedback")],
        "change the released lesson": ["touch", str(exchange / COURSE_ID / "outbound" / LESSON / NOTEBOOK)],
    }
    for what, command in as_s2.items():
        assert _denied(accounts.run_as(s2, command)), f"student 2 could {what}"
    # Unlistable inbound: a submission is found only by its name, which ends in a random part, so
    # student 2 can neither read nor delete student 1's by the part of the name they can know.
    _, _, _, random_part = submission.name.split("+")
    assert len(random_part) >= 12
    pattern = f"'{inbound}'/{s1}+*"
    assert accounts.run_as(s2, ["sh", "-c", f"cat {pattern}/{NOTEBOOK}"]).returncode != 0
    accounts.run_as(s2, ["sh", "-c", f"rm -rf {pattern}"])
    assert (submission / NOTEBOOK).is_file(), "student 2 deleted student 1's submission"


def _check_limits(student: requests.Session, base: str, name: str) -> None:
    """The student's server and a kernel it starts run under the limits the hub advertises (MEM_LIMIT,
    CPU_LIMIT), enforced by prlimit; see deploy/jupyterhub_config.py. The kernel stays up for the shutdown check."""
    assert student.post(f"{base}/api/kernels", json={"name": "python3"}, timeout=60).status_code == 201
    deadline = time.monotonic() + 60
    while not any("ipykernel_launcher" in " ".join(p.cmdline()) for p in accounts.processes([name])):
        assert time.monotonic() < deadline, "the kernel did not start"
        time.sleep(0.5)
    running = accounts.processes([name])
    assert len(running) == 2, [p.cmdline() for p in running]  # the server and its kernel
    for process in running:
        env, limits = process.environ(), _limits(process.pid)
        assert limits["Max address space"] == (env["MEM_LIMIT"], env["MEM_LIMIT"]), process.cmdline()
        assert limits["Max processes"][0] != "unlimited", process.cmdline()
        assert env["OPENBLAS_NUM_THREADS"] == str(int(float(env["CPU_LIMIT"])))


def _limits(pid: int) -> dict[str, tuple[str, str]]:
    """A process's resource limits from /proc (soft, hard), as `prlimit --pid` shows them."""
    lines = Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]
    return {line[:26].strip(): tuple(line[26:].split()[:2]) for line in lines}
