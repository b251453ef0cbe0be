"""The grading kernel, checked from inside: forked from the warm server, confined as `enforced()` says.

Each test starts real kernels through the sandbox kernelspec and the fork server, the way
`course grade` does, and asks the kernel what it can see and do.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from jupyter_client import BlockingKernelClient, KernelManager
from traitlets.config import Config

from helpers.grading import forkserver, prestart, sandbox
from helpers.grading.standin import SOCKET_VARIABLE, TAG_VARIABLE

LIMITS = dict(cell_seconds=20, notebook_seconds=60, memory_mb=512, processes=32, file_mb=8)


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory):
    """Start kernels like the grader: (start(tag) -> (manager, client), fork server process, hidden paths)."""
    root = tmp_path_factory.mktemp("sandbox")
    secret_dir, secret_file = root / "solutions", root / "gradebook.db"
    secret_dir.mkdir()
    (secret_dir / "answers.txt").write_text("the answers")
    secret_file.write_text("grades")
    for folder in ("runtime", "forkserver"):
        (root / folder).mkdir(mode=0o700)
    limits = sandbox.Limits(**LIMITS, hide=[str(secret_dir), str(secret_file), str(root / "forkserver")])
    with pytest.MonkeyPatch.context() as patch:
        for key in (SOCKET_VARIABLE, TAG_VARIABLE):          # set below; put back as they were afterwards
            patch.delenv(key, raising=False)
        patch.setenv("JUPYTER_RUNTIME_DIR", str(root / "runtime"))
        patch.setenv("JUPYTER_PATH", str(root))
        sandbox.install_kernelspec(root)
        server = forkserver.start(root / "forkserver", limits, ["numpy"])
        started = []

        def start(tag: str):
            os.environ[TAG_VARIABLE] = tag
            manager = KernelManager(kernel_name=sandbox.KERNEL_NAME, transport="ipc", ip=str(root / "runtime" / tag))
            manager.start_kernel()
            client = manager.client()
            client.start_channels()
            client.wait_for_ready(timeout=30)
            started.append((manager, client, tag))
            return manager, client

        yield start, server, {"dir": secret_dir, "file": secret_file, "socket": root / "forkserver"}
        for manager, client, tag in started:
            client.stop_channels()
            if manager.has_kernel:
                manager.shutdown_kernel(now=True)
            sandbox.remove_cgroups(tag)
        server.kill()
        server.wait()


def run(client, code: str, timeout: float = 20) -> tuple[str, dict]:
    """(what the code printed, the execute reply's content)."""
    printed = []

    def keep(message):
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    reply = client.execute_interactive(code, output_hook=keep, timeout=timeout)
    return "".join(printed), reply["content"]


PROBE = """
import json, os, resource, socket, sys
def attempt(action):
    try:
        return repr(action())
    except Exception as error:
        return type(error).__name__
status = open('/proc/self/status').read()
print(json.dumps({
    "pid": os.getpid(),
    "capabilities": status.split('CapEff:')[1].split()[0],
    "processes_seen": len([p for p in os.listdir('/proc') if p.isdigit()]),
    "hidden_dir": attempt(lambda: os.listdir(%(dir)r)),
    "hidden_file": attempt(lambda: open(%(file)r).read()),
    "fork_server": attempt(lambda: os.listdir(%(socket)r)),
    "network": attempt(lambda: socket.create_connection(('1.1.1.1', 53), timeout=2)),
    "cpu": resource.getrlimit(resource.RLIMIT_CPU)[0],
    "file_size": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
    "core": resource.getrlimit(resource.RLIMIT_CORE)[0],
    "checks_imported_first": 'helpers.checks' in sys.modules,
    "cwd": os.getcwd(),
}))
"""


def test_the_kernel_is_confined_as_enforced_says(sandboxed):
    start, _, hidden = sandboxed
    _, client = start("probe")
    printed, reply = run(client, PROBE % {key: str(path) for key, path in hidden.items()})
    assert reply["status"] == "ok", reply
    seen = json.loads(printed)
    assert seen["cpu"] == 2 * LIMITS["notebook_seconds"] and seen["file_size"] == LIMITS["file_mb"] << 20
    assert seen["core"] == 0 and seen["checks_imported_first"]
    assert Path(seen["cwd"]).name.startswith("kernel-")
    if not sandbox.can_isolate():
        pytest.skip("not root: namespaces, hidden files and capabilities are not enforced (enforced() says so)")
    assert seen["pid"] == 1, "the kernel should be process 1 of its own PID namespace"
    assert seen["processes_seen"] <= 3, "the kernel should see only its own processes"
    assert int(seen["capabilities"], 16) == 0, "every capability should be dropped"
    assert seen["hidden_dir"] == "PermissionError" and seen["fork_server"] == "PermissionError"
    assert seen["hidden_file"] == "''", "a hidden file should read as empty (/dev/null)"
    assert seen["network"] == "OSError", "the kernel should have no network"


def test_an_interrupt_reaches_the_kernel_through_the_stand_in(sandboxed):
    start, _, _ = sandboxed
    manager, client = start("interrupt")
    message = client.execute("import time\nwhile True: time.sleep(0.01)",
                             stop_on_error=False)      # as nbgrader runs cells: an error aborts nothing after it
    time.sleep(1)
    manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=10)
    assert reply["parent_header"]["msg_id"] == message
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    after = client.execute_interactive("answer = 6 * 7", user_expressions={"answer": "answer"}, timeout=20)
    assert after["content"]["status"] == "ok", "the kernel should carry on after an interrupt"
    assert after["content"]["user_expressions"]["answer"]["data"]["text/plain"] == "42"


def test_killing_the_stand_in_kills_the_kernel(sandboxed):
    start, server, _ = sandboxed
    forked = lambda: {p.pid for p in psutil.Process(server.pid).children(recursive=True)}  # noqa: E731
    earlier = forked()
    manager, client = start("killed")
    before = forked() - earlier
    assert len(before) == 2, "the fork server should have forked a supervisor and a kernel"
    client.stop_channels()
    manager.shutdown_kernel(now=True)               # SIGKILL to the stand-in's process group
    assert _all_gone(before), "the kernel or its supervisor outlived the stand-in"


@pytest.mark.skipif(not sandbox.can_isolate() or "pids" not in sandbox.cgroup_controllers(),
                    reason="the process limit is a cgroup's, as root")
def test_a_fork_bomb_stops_at_the_process_limit(sandboxed):
    start, _, _ = sandboxed
    _, client = start("forks")
    printed, reply = run(client, """
import os, time
children = 0
try:
    for _ in range(200):
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        children += 1
except OSError as error:
    print(children, error.errno)
""")
    children, errno = map(int, printed.split())
    assert children < LIMITS["processes"] and errno == 11, printed      # EAGAIN from pids.max



def test_kernels_die_with_the_fork_server(sandboxed, tmp_path):
    start, _, _ = sandboxed
    shared = os.environ[SOCKET_VARIABLE]
    own = forkserver.start(tmp_path, sandbox.Limits(**LIMITS), [])
    try:
        start("orphaned")
        forked = {p.pid for p in psutil.Process(own.pid).children(recursive=True)}
        assert len(forked) == 2
        own.kill()                                     # as when the grading process dies
        own.wait()
        assert _all_gone(forked), "a supervisor or a kernel outlived the fork server"
    finally:
        os.environ[SOCKET_VARIABLE] = shared


@pytest.fixture
def execute_ahead(sandboxed, tmp_path):
    """(PrestartedExecute configured as the grader's, run(tag, upcoming) -> printed, the fork server's children)."""
    _, server, _ = sandboxed
    config = Config()
    config.Execute.kernel_name = sandbox.KERNEL_NAME
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(tmp_path / "ipc")
    execute = prestart.PrestartedExecute(config=config)
    execute.started = 0
    start_new_kernel = execute.start_new_kernel
    tags = set()

    def counted(**options):
        execute.started += 1
        start_new_kernel(**options)

    execute.start_new_kernel = counted

    def run(tag: str, upcoming: str | None) -> str:
        tags.update({tag, upcoming} - {None})
        os.environ[TAG_VARIABLE] = tag
        prestart.upcoming(upcoming)
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
        execute.preprocess(notebook, {"metadata": {"path": str(tmp_path)}})
        return "".join(o.get("text", "") for o in notebook.cells[0].outputs)

    yield execute, run, lambda: {p.pid for p in psutil.Process(server.pid).children(recursive=True)}
    for tag in tags:
        prestart.discard(tag)
        sandbox.remove_cgroups(tag)


def test_the_next_kernel_starts_ahead_and_the_next_submission_runs_on_it(execute_ahead):
    execute, run, forked = execute_ahead
    earlier = forked()
    assert run("first", upcoming="second") == "42\n"
    assert execute.started == 2, "one kernel for this submission, one started ahead for the next"
    ahead = _ready(prestart._started["second"], forked, earlier)
    assert Path(os.environ["JUPYTER_RUNTIME_DIR"], "l2a-second.pid").exists(), "it should carry the next tag"
    assert run("second", upcoming=None) == "42\n"
    assert execute.started == 2, "the second submission should have run on the kernel started ahead"
    assert _all_gone(ahead), "the kernel started ahead should be shut down after its submission"


def test_a_kernel_started_for_a_submission_that_never_runs_is_shut_down(execute_ahead):
    _, run, forked = execute_ahead
    earlier = forked()
    run("runs", upcoming="never")
    ahead = _ready(prestart._started["never"], forked, earlier)
    prestart.discard("never")
    assert _all_gone(ahead), "discard should shut down the kernel nobody used"
    prestart.discard("never")                                    # nothing left to do: no error


def _ready(manager, forked, earlier: set[int]) -> set[int]:
    """Wait until the kernel of `manager` answers; return its supervisor's and its own process ids."""
    client = BlockingKernelClient()
    client.load_connection_info(manager.get_connection_info())
    client.start_channels()
    try:
        client.wait_for_ready(timeout=30)
    finally:
        client.stop_channels()
    deadline = time.monotonic() + 10                 # the kernel before it is on its way out
    while len(forked() - earlier) != 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(forked() - earlier) == 2, "a supervisor and a kernel should be running for the next submission"
    return forked() - earlier


def _all_gone(pids: set[int], seconds: float = 10) -> bool:
    def alive(pid: int) -> bool:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return not any(alive(p) for p in pids)
