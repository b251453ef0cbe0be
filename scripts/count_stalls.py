"""Count kernel stalls: run every solution and released notebook many times with nbclient, as the tests do.

A *stall* is a cell whose execute_reply the client does not get while nothing is running:
* "late": the cell finished only at its timeout. nbclient polls the shell socket once more when a
  timeout expires, so a reply that had arrived but whose wake-up was lost is found then: the cell
  takes exactly --cell-timeout seconds. The report says when the kernel dated its reply.
* "no reply": the cell timed out and the kernel sat idle (under 2 % of a core over the next 3 s).
  The report says which of the kernel's messages about the cell arrived, and whether a second
  shell request (a kernel_info_request) brought the missing reply out.
A cell that times out while its kernel is busy is counted as "slow" instead: raise --cell-timeout.

Notebooks run as the tests run them, with the tests' client (helpers/notebook_client.py; --plain-nbclient
for nbclient's own): a solution notebook as tests/test_figures_accessible.py does (its figure-audit
cell first, its button-pressing cell last, NBGRADER_EXECUTION=1, no error allowed); a released notebook
as tests/test_released_notebooks.py does (errors allowed: its exercises are not written).
--output-widget-cells N runs instead, --rounds times, a notebook of N cells that each print into an
ipywidgets Output widget: the case that stalls, many times a second. --in-flight N starts --rounds
kernels instead and sends each 500 times N execute_requests at once (as JupyterLab overlaps widget
messages and requests): a kernel that leaves one unanswered for --cell-timeout seconds while idle has
stalled. --kernel names the kernelspec (to try another ipykernel). Runs stop being started once
--minutes have passed. Exits with 1 if any run stalled.

    .venv/bin/python scripts/count_stalls.py --rounds 20 --cell-timeout 60 --jobs 2
    .venv/bin/python scripts/count_stalls.py --output-widget-cells 200 --rounds 20 --cell-timeout 10 [--plain-nbclient]
    .venv/bin/python scripts/count_stalls.py --in-flight 8 --rounds 10 --cell-timeout 10 [--kernel NAME]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from fnmatch import fnmatch
from multiprocessing import get_context
from pathlib import Path
from queue import Empty

import nbformat
import psutil
from jupyter_client import KernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from helpers.notebook_client import NotebookClient as TestsNotebookClient  # noqa: E402
from tests.test_figures_accessible import AUDIT, PRESS_BUTTONS  # noqa: E402
from tests.test_notebook_client import OUTPUT_WIDGET_CELL  # noqa: E402

IDLE_CPU_SHARE = 0.02   # of one core: an idle kernel, not a slow cell
PROBE_SECONDS = 3.0
NUDGE_SECONDS = 10.0
LATE_MARGIN = 0.5       # a cell that ends this close to its timeout was answered by nbclient's last poll
IN_FLIGHT_ROUNDS = 500


def notebooks(pattern: str) -> list[str]:
    paths = sorted(ROOT.glob("solutions/*/*.ipynb")) + sorted(ROOT.glob("notebooks/*/*.ipynb"))
    return [name for name in (str(p.relative_to(ROOT)) for p in paths) if fnmatch(name, pattern)]


def _cpu_share(pid: int) -> float:
    """The share of one core the process `pid` uses over the next PROBE_SECONDS."""
    process = psutil.Process(pid)
    before = sum(process.cpu_times()[:2])
    time.sleep(PROBE_SECONDS)
    return (sum(process.cpu_times()[:2]) - before) / PROBE_SECONDS


def _shell_replies(client: NotebookClient, until: str, seconds: float) -> list[str]:
    """The types of the shell messages that come within `seconds`, stopping at one of type `until`."""
    replies, deadline = [], time.monotonic() + seconds
    while until not in replies and time.monotonic() < deadline:
        try:
            message = run_sync(client.kc.get_shell_msg)(timeout=max(0.0, deadline - time.monotonic()))
        except Empty:
            break
        replies.append(message["msg_type"])
    return replies


def _kernel_said(cell, sent: float) -> dict[str, float]:
    """When the kernel dated its messages about the cell (nbclient's record_timing), in seconds after sending."""
    timing = cell.get("metadata", {}).get("execution", {})
    return {key: round(datetime.fromisoformat(value).timestamp() - sent, 2) for key, value in timing.items()}


def _diagnose(client: NotebookClient, index: int, source: str, said: dict) -> dict:
    """What a kernel that did not answer in time is doing: its CPU share, and whether a second shell
    request brings the missing reply out."""
    cpu_share = _cpu_share(client.km.provisioner.pid)
    client.kc.kernel_info()
    return {"outcome": "stall" if cpu_share < IDLE_CPU_SHARE else "slow", "kind": "no reply", "cell": index,
            "source": source[:60], "cpu_share": round(cpu_share, 3), "kernel_said": said,
            "after_nudge": _shell_replies(client, "kernel_info_reply", NUDGE_SECONDS)}


def _notebook(name: str, scratch: str):
    """The notebook to run and whether errors are allowed: a lesson's, as the tests run it, or output-widget cells."""
    if name.startswith("output-widget-cells:"):
        cells = [nbformat.v4.new_code_cell(OUTPUT_WIDGET_CELL) for _ in range(int(name.partition(":")[2]))]
        return nbformat.v4.new_notebook(cells=cells), False
    path = ROOT / name
    nb = nbformat.read(path, as_version=4)
    if path.parts[-3] == "notebooks":
        os.environ.pop("NBGRADER_EXECUTION", None)
        return nb, True
    os.environ["NBGRADER_EXECUTION"] = "1"
    audit = AUDIT.format(root=str(ROOT), path=str(Path(scratch) / "figures.jsonl"))
    nb.cells = [nbformat.v4.new_code_cell(audit), *nb.cells, nbformat.v4.new_code_cell(PRESS_BUTTONS)]
    return nb, False


def in_flight_run(kernel: str, depth: int, timeout: int) -> dict:
    """Send `depth` execute_requests at once, IN_FLIGHT_ROUNDS times, to one fresh kernel."""
    manager = KernelManager(kernel_name=kernel)
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    result = {"notebook": f"in-flight:{depth}", "outcome": "ok", "requests": 0}
    start = time.monotonic()
    try:
        client.wait_for_ready(timeout=60)
        for round_ in range(IN_FLIGHT_ROUNDS):
            waiting = {client.execute("pass") for _ in range(depth)}
            result["requests"] += depth
            while waiting:
                try:
                    waiting.discard(client.get_shell_msg(timeout=timeout)["parent_header"].get("msg_id"))
                except Empty:
                    cpu_share = _cpu_share(manager.provisioner.pid)
                    client.kernel_info()
                    try:   # does a later request bring anything out?
                        after = client.get_shell_msg(timeout=NUDGE_SECONDS)["msg_type"]
                    except Empty:
                        after = None
                    result.update(outcome="stall" if cpu_share < IDLE_CPU_SHARE else "slow", kind="no reply",
                                  round=round_, unanswered=len(waiting), cpu_share=round(cpu_share, 3),
                                  after_nudge=after)
                    return result
        return result
    finally:
        result["seconds"] = round(time.monotonic() - start, 1)
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run_once(name: str, cell_timeout: int, plain_nbclient: bool, kernel: str = "python3") -> dict:
    """Run one notebook in a fresh kernel; stop at its first stall or slow cell and describe it."""
    with tempfile.TemporaryDirectory() as scratch:
        return _run(name, scratch, cell_timeout, plain_nbclient, kernel)


def _run(name: str, scratch: str, cell_timeout: int, plain_nbclient: bool, kernel: str) -> dict:
    nb, allow_errors = _notebook(name, scratch)
    client = (NotebookClient if plain_nbclient else TestsNotebookClient)(
        nb, timeout=cell_timeout, kernel_name=kernel, allow_errors=allow_errors,
        resources={"metadata": {"path": str((ROOT / name).parent if "/" in name else ROOT)}})
    start = time.monotonic()
    result = {"notebook": name, "outcome": "ok", "slowest_cell": [0.0, -1]}
    try:
        with client.setup_kernel():
            client.kc.kernel_info()                           # as NotebookClient.execute does first
            if "kernel_info_reply" not in _shell_replies(client, "kernel_info_reply", cell_timeout):
                result.update(_diagnose(client, -1, "kernel_info_request", {}))
            for index, cell in enumerate(nb.cells if result["outcome"] == "ok" else []):
                cell_start, sent = time.monotonic(), time.time()
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    result.update(_diagnose(client, index, cell.source, _kernel_said(cell, sent)))
                    break
                took = time.monotonic() - cell_start
                result["slowest_cell"] = max(result["slowest_cell"], [round(took, 1), index])
                if took >= cell_timeout - LATE_MARGIN:
                    result.update(outcome="stall", kind="late", cell=index, source=cell.source[:60],
                                  seconds_taken=round(took, 1), kernel_said=_kernel_said(cell, sent))
                    break
    except (CellExecutionError, DeadKernelError, RuntimeError) as error:   # RuntimeError: no kernel_info reply
        result.update(outcome="error", error=f"{type(error).__name__}: {str(error)[-300:]}")
    result["seconds"] = round(time.monotonic() - start, 1)
    return result


def _run_if_time_left(name: str, args: argparse.Namespace, deadline: float) -> dict | None:
    if time.time() >= deadline:
        return None
    if name.startswith("in-flight:"):
        return in_flight_run(args.kernel, args.in_flight, args.cell_timeout)
    return run_once(name, args.cell_timeout, args.plain_nbclient, args.kernel)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="runs of every notebook")
    parser.add_argument("--cell-timeout", type=int, default=30, help="seconds a cell may take")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at once")
    parser.add_argument("--minutes", type=float, default=120, help="start no run after this long")
    parser.add_argument("--only", default="*", help="only the notebooks whose path matches this (solutions/02_*/*)")
    parser.add_argument("--output-widget-cells", type=int, help="run this many Output-widget cells instead")
    parser.add_argument("--plain-nbclient", action="store_true", help="use nbclient's NotebookClient, not the tests'")
    parser.add_argument("--in-flight", type=int, help="send this many requests at once to each kernel instead")
    parser.add_argument("--kernel", default="python3", help="the kernelspec to run")
    parser.add_argument("--log", type=Path, help="also write one JSON line per run here")
    args = parser.parse_args(argv)
    names = ([f"in-flight:{args.in_flight}"] if args.in_flight else
             [f"output-widget-cells:{args.output_widget_cells}"] if args.output_widget_cells else
             notebooks(args.only)) * args.rounds
    deadline = time.time() + 60 * args.minutes
    counts: Counter[str] = Counter()
    log = args.log.open("a") if args.log else None
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        pending = [pool.submit(_run_if_time_left, name, args, deadline) for name in names]
        for future in pending:
            result = future.result()
            if result is None:
                continue
            counts[result["outcome"]] += 1
            line = json.dumps(result)
            detail = (f'slowest cell {result["slowest_cell"]}' if "slowest_cell" in result else
                      f'{result.get("requests")} requests')
            print(line if result["outcome"] != "ok" else f'{result["notebook"]}: ok in {result["seconds"]} s, {detail}',
                  flush=True)
            if log:
                log.write(line + "\n")
                log.flush()
    runs = sum(counts.values())
    client = (f"kernel {args.kernel!r}, {args.in_flight} requests in flight" if args.in_flight else
              "nbclient's NotebookClient" if args.plain_nbclient else "the tests' NotebookClient")
    print(f"{runs} runs: {counts['stall']} stalls, {counts['slow']} slow, {counts['error']} errors, "
          f"{counts['ok']} ok ({client}, cell timeout {args.cell_timeout} s, {args.jobs} at once)")
    return 1 if counts["stall"] or counts["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
