"""The grading kernel, checked from inside: started by the sandbox's launcher, confined as `enforced()` says.

Each test starts real kernels through the sandbox kernelspec, the way `course grade` does, and asks
the kernel what it can see and do.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import psutil
import pytest
from jupyter_client import KernelManager

from helpers.grading import allowed, sandbox

LIMITS = sandbox.Limits(cell_seconds=20, notebook_seconds=60, memory_mb=512, processes=32, file_mb=8)
ROOT_ONLY = pytest.mark.skipif(sandbox.mode() != "root", reason="uids of their own and cgroups need root")


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory):
    """start(tag) -> (manager, client), with kernels set up as the grader sets them up."""
    root = tmp_path_factory.mktemp("sandbox")
    root.chmod(0o711)
    for folder, mode in (("runtime", 0o700), ("sockets", 0o711), ("cases", 0o755)):
        (root / folder).mkdir(mode=mode)
    (root / "cases" / "case.json").write_text('{"cases": []}')
    (root / "cases" / "case.json").chmod(0o644)
    helpers = sandbox.copy_helpers(allowed.files(), root / "view" / "helpers")
    started = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_RUNTIME_DIR", str(root / "runtime"))
        patch.setenv("JUPYTER_PATH", str(root))
        patch.setenv("GRADER_SECRET", "the grader's own variable")
        sandbox.install_kernelspec(root)

        def start(tag: str, number: int = 1, mode: str = ""):
            sockets = root / "sockets" / tag
            sockets.mkdir(mode=0o700)
            uid = sandbox.UID_BASE + number
            if (mode or sandbox.mode()) == "root":
                os.chown(sockets, uid, uid)
            kernel = sandbox.Kernel(tag=tag, uid=uid, helpers=str(helpers), reveal=(str(root / "cases"),),
                                    sockets=str(sockets), limits=LIMITS.__dict__, mode=mode)
            manager = KernelManager(kernel_name=sandbox.KERNEL_NAME, transport="ipc", ip=str(sockets / "k"))
            manager.start_kernel(env={**os.environ, sandbox.CONFIG_VARIABLE: kernel.to_json()})
            client = manager.client()
            client.start_channels()
            client.wait_for_ready(timeout=60)
            started.append((manager, client, tag))
            return manager, client

        yield start, root
        for manager, client, tag in started:
            client.stop_channels()
            if manager.has_kernel:
                manager.shutdown_kernel(now=True)
            sandbox.remove_cgroups(tag)


def run(client, code: str, timeout: float = 30) -> tuple[str, dict]:
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
def writable(path):
    try:
        with open(path, 'a'):
            return True
    except OSError:
        return False
status = open('/proc/self/status').read()
import helpers
here = os.path.dirname(helpers.__file__)
print(json.dumps({
    "uid": os.getuid(), "pid": os.getpid(), "capabilities": status.split('CapEff:')[1].split()[0],
    "no_new_privs": status.split('NoNewPrivs:')[1].split()[0],
    "processes_seen": len([p for p in os.listdir('/proc') if p.isdigit()]),
    "checkout": attempt(lambda: sorted(os.listdir(os.path.dirname(here)))),
    "helpers": sorted(os.path.relpath(os.path.join(d, f), here) for d, _, fs in os.walk(here) for f in fs
                      if '__pycache__' not in d),
    "reference": attempt(lambda: __import__('helpers.graph')),
    "grader": attempt(lambda: __import__('helpers.grading.judge')),
    "home": attempt(lambda: os.listdir(%(home)r)),
    "runtime": attempt(lambda: os.listdir(%(runtime)r)),
    "cases": attempt(lambda: open(%(case)r).read()),
    "write_cases": writable(%(case)r), "write_helpers": writable(os.path.join(here, 'checks', 'core.py')),
    "write_tmp": writable('/tmp/mine'),
    "environment": sorted(os.environ),
    "network": attempt(lambda: socket.create_connection(('1.1.1.1', 53), timeout=2)),
    "cpu": resource.getrlimit(resource.RLIMIT_CPU)[0], "file_size": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
    "core": resource.getrlimit(resource.RLIMIT_CORE)[0],
}))
"""


@pytest.mark.parametrize("mode", ["", "userns"], ids=["as this machine allows", "in a user namespace"])
def test_the_kernel_sees_its_view_and_no_more(sandboxed, mode):
    if mode == "userns" and sandbox.mode() == "none":
        pytest.skip("no user namespaces here")
    start, root = sandboxed
    _, client = start(f"probe{mode}", mode=mode)
    code = PROBE % {"home": str(Path.home()), "runtime": str(root / "runtime"), "case": str(root / "cases" / "case.json")}
    printed, reply = run(client, code)
    assert reply["status"] == "ok", reply
    seen = json.loads(printed)
    assert seen["cpu"] == 2 * LIMITS.notebook_seconds and seen["file_size"] == LIMITS.file_mb << 20
    assert seen["core"] == 0
    assert "GRADER_SECRET" not in seen["environment"] and not any(k.startswith(("NBGRADER", "L2A", "JPY"))
                                                                   for k in seen["environment"])
    assert sorted(seen["helpers"]) == sorted(allowed.files()), "the kernel's helpers are the allowed files only"
    assert seen["reference"] == seen["grader"] == "ModuleNotFoundError"
    if sandbox.mode() == "none":
        pytest.skip("neither root nor user namespaces: the rest is not enforced (enforced() says so)")
    assert seen["pid"] == 1 and seen["processes_seen"] <= 3, "the kernel sees only its own processes"
    assert int(seen["capabilities"], 16) == 0 and seen["no_new_privs"] == "1"
    assert seen["checkout"] == "['.venv', 'helpers']" or seen["checkout"].startswith("['helpers'"), seen["checkout"]
    python_in_home = [Path(p).relative_to(Path.home()).parts[0] for p in {sys.base_prefix, sys.prefix}
                      if Path(p).is_relative_to(Path.home())]
    assert seen["home"] in ("FileNotFoundError", "PermissionError", repr(sorted(python_in_home))), seen["home"]
    assert seen["runtime"] == "FileNotFoundError"
    assert seen["cases"] == "'{\"cases\": []}'" and not seen["write_cases"] and not seen["write_helpers"]
    assert seen["write_tmp"] and seen["network"] == "OSError"


@ROOT_ONLY
def test_each_kernel_has_a_user_of_its_own_and_cannot_reach_another(sandboxed):
    start, root = sandboxed
    _, first = start("first", number=11)
    _, second = start("second", number=12)
    uids = [json.loads(run(c, "import os, json; print(json.dumps(os.getuid()))")[0]) for c in (first, second)]
    assert uids == [sandbox.UID_BASE + 11, sandbox.UID_BASE + 12]
    other = root / "sockets" / "second"
    printed, _ = run(first, f"""
import glob, json, os
found = glob.glob('/tmp/**', recursive=True) + glob.glob({str(root)!r} + '/**', recursive=True)
try:
    os.listdir({str(other)!r})
    found.append('listed')
except OSError:
    pass
print(json.dumps(found))
""")
    seen = json.loads(printed)
    assert not [p for p in seen if "second" in p or "runtime" in p or p == "listed"], seen
    shown = [Path(p) for p in seen if p.startswith(str(root))]
    assert all(p in (root, root / "sockets") or p.is_relative_to(root / "cases") or p.is_relative_to(root / "sockets"
               / "first") for p in shown), shown


def test_an_interrupt_reaches_the_kernel_through_the_launcher(sandboxed):
    start, _ = sandboxed
    manager, client = start("interrupt", number=2)
    message = client.execute("import time\nwhile True: time.sleep(0.01)", stop_on_error=False)
    time.sleep(1)
    manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=20)
    while reply["parent_header"]["msg_id"] != message:       # replies to earlier requests (kernel_info)
        reply = client.get_shell_msg(timeout=20)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    after = client.execute_interactive("answer = 6 * 7", user_expressions={"answer": "answer"}, timeout=20)
    assert after["content"]["user_expressions"]["answer"]["data"]["text/plain"] == "42"


def _family(manager) -> set[int]:
    launcher = psutil.Process(manager.provisioner.pid)
    return {launcher.pid} | {p.pid for p in launcher.children(recursive=True)}


def _gone(pids: set[int], seconds: float = 10) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in pids):
            return True
        time.sleep(0.1)
    return False


SPAWN = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(300)\n    os._exit(0)"


def test_killing_the_launcher_ends_the_kernel_and_its_children(sandboxed):
    start, _ = sandboxed
    manager, client = start("killed", number=3)
    run(client, SPAWN)
    family = _family(manager)
    assert len(family) >= 3, "the launcher, the kernel and the kernel's child"
    client.stop_channels()
    manager.shutdown_kernel(now=True)            # SIGKILL to the launcher
    assert _gone(family), "a process outlived the launcher"


@ROOT_ONLY
def test_the_kernels_cgroup_ends_every_process_at_once(sandboxed):
    start, _ = sandboxed
    manager, client = start("cgroup", number=4)
    run(client, SPAWN)
    family = _family(manager)
    sandbox.kill("cgroup")
    assert _gone(family), "a process outlived cgroup.kill"


@pytest.mark.skipif("pids" not in sandbox.cgroup_controllers(), reason="the process limit is a pids cgroup's")
def test_a_fork_bomb_stops_at_the_process_limit(sandboxed):
    start, _ = sandboxed
    _, client = start("forks", number=5)
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
    assert children < LIMITS.processes and errno == 11, printed      # EAGAIN from pids.max


def test_enforced_says_what_this_machine_gives():
    words = "; ".join(sandbox.enforced())
    assert "judges outside the kernel" in words
    if sandbox.mode() == "root":
        assert "a user of its own" in words and "no network" in words
    elif sandbox.mode() == "userns":
        assert "NOT as root" in words
    else:
        assert "NOT isolated" in words
