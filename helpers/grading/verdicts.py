"""nbgrader preprocessors that put the trusted judge between a submission's kernel and its grades.

* `AddCouriers`, before Execute: after each test cell, a cell that has helpers.courier call the
  student's function on the grader's cases (their arguments only, written once per grading run).
* `JudgeAnswers`, after Execute: the judge (helpers.grading.judge) compares what came back with its
  own answers, in this process, and each test cell's outputs become the judge's verdict: a line
  starting with ✓, or an error with the judge's explanation. nbgrader's SaveAutoGrades then gives the
  points by nbgrader's own rule (an error scores 0), so only the judge's explicit pass earns points.
  What the test cell printed in the kernel is advisory: a pass there that the judge's run of the same
  visible cases fails is a finding (tampering). The courier cells are removed again.
* `RecordFindings`, last: findings and verdicts go into the notebook's metadata ("l2a"), where the
  grader reads them back.
"""
from __future__ import annotations

import json
from pathlib import Path

from nbformat.v4 import new_code_cell, new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Unicode

from helpers.checks.core import BOLD, RED, RESET
from helpers.courier import MIME
from helpers.grading import judge
from helpers.grading.execute import finding

COURIER = "l2a_courier"
MAX_MESSAGE = 128 << 20


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _test_of(cell) -> str | None:
    """The exercise a test cell tests ("test_add_backward" -> "add_backward"), if it is one."""
    info = _nbgrader(cell)
    if cell.cell_type == "code" and info.get("grade") and not info.get("solution"):
        return str(info.get("grade_id", "")).removeprefix("test_")
    return None


def write_cases(lesson: str, folder: Path) -> list[str]:
    """Write the courier's cases of every exercise of the lesson into `folder`; return the exercises."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for name, planned in judge.plan(lesson).items():
        (folder / f"{name}.json").write_text(json.dumps(judge.courier_cases(lesson, planned)))
        (folder / f"{name}.json").chmod(0o644)
        names.append(name)
    folder.chmod(0o755)
    return names


class AddCouriers(NbGraderPreprocessor):
    """Before Execute: a courier cell after every test cell whose exercise has cases in `cases_dir`."""

    cases_dir = Unicode(help="Where write_cases wrote the lesson's cases (shown read-only to the kernel).").tag(
        config=True)
    seconds = Float(30.0, help="How long the grader's calls of one exercise may take in all.").tag(config=True)

    def preprocess(self, nb, resources):
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            name = _test_of(cell)
            path = Path(self.cases_dir) / f"{name}.json"
            if name and path.is_file():
                courier = new_code_cell(f"import helpers.courier\n"
                                        f"helpers.courier.deliver({name!r}, {str(path)!r}, {self.seconds:g})")
                courier.metadata[COURIER] = name
                cells.append(courier)
        nb.cells = cells
        return nb, resources


def _message(cell, name: str) -> tuple[list | None, int]:
    """The courier's records for `name` in the cell's outputs, and how many answer messages there were."""
    messages = [o for o in cell.get("outputs", []) if o.get("output_type") == "display_data" and MIME in o.get("data", {})]
    records = None
    if messages:
        data = messages[-1]["data"][MIME]
        try:                        # plain JSON types again (nbformat hands dicts over as NotebookNodes)
            text = data if isinstance(data, str) else json.dumps(data)
            data = json.loads(text) if len(text) < MAX_MESSAGE else None
        except (ValueError, TypeError, RecursionError):
            data = None
        if type(data) is dict and data.get("exercise") == name and type(data.get("records")) is list:
            records = data["records"]
    return records, len(messages)


def _verdict_outputs(verdict: judge.Verdict) -> list:
    if verdict.passed:
        return [new_output("stream", name="stdout", text=verdict.message + "\n")]
    failure = verdict.failure
    lines = [f"{RED}{BOLD}✗ {failure.what} {failure.problem}{RESET}"] + [f"  {line}" for line in failure.hint.splitlines()]
    return [new_output("error", ename="CheckFailed", evalue=f"{failure.what} {failure.problem}", traceback=lines)]


class JudgeAnswers(NbGraderPreprocessor):
    """After Execute: every test cell's outputs become the judge's verdict; the courier cells go."""

    def preprocess(self, nb, resources):
        lesson = resources["nbgrader"]["assignment"]
        plans = judge.plan(lesson)
        verdicts, kept = {}, []
        for index, cell in enumerate(nb.cells):
            name = cell.get("metadata", {}).get(COURIER)
            if name is None:
                kept.append(cell)
                continue
            test = next((c for c in reversed(kept) if _test_of(c) == name), None)
            records, count = _message(cell, name)
            stopped = [o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if stopped:
                finding(resources, f"the grader's calls of {name} were stopped ({stopped[0]}: over the cell's time "
                                   "limit, or the notebook interfered)")
            elif records is None:
                finding(resources, f"no answers came back from the kernel for {name}")
            if records and any(type(r) is dict and "timeout" in r for r in records):
                finding(resources, f"{name} did not finish within its time on some of the grader's cases")
            elif count > 1:
                finding(resources, f"{count} answer messages for {name} (the notebook published its own)")
            sources = [c.source for c in nb.cells[:index] if c.cell_type == "code"]
            verdict = judge.verdict(plans[name], records, judge.notebook_functions(sources))
            if test is not None:
                in_kernel = not any(o.get("output_type") == "error" for o in test.get("outputs", []))
                if in_kernel and not verdict.visible_passed:
                    finding(resources, f"test_{name} passed in the kernel, but the grader's run of the same visible "
                                       "cases failed: the check was tampered with")
                test.outputs = _verdict_outputs(verdict)
            verdicts[f"test_{name}"] = {"passed": verdict.passed, "mistake": verdict.mistake,
                                        "message": verdict.message}
        for cell in kept:                        # a test cell without a courier has no verdict: it earns nothing
            name = _test_of(cell)
            if name is not None and f"test_{name}" not in verdicts:
                cell.outputs = [new_output("error", ename="NotJudged", evalue="the grader has no tests for this cell",
                                           traceback=[f"✗ test_{name}: the grader has no tests for this cell."])]
                verdicts[f"test_{name}"] = {"passed": False, "mistake": None, "message": "not judged"}
        nb.cells = kept
        resources.setdefault("l2a", {})["verdicts"] = verdicts
        return nb, resources


class RecordFindings(NbGraderPreprocessor):
    """Last: the verdicts and findings into the notebook's metadata, for the grader to read back."""

    def preprocess(self, nb, resources):
        nb.metadata["l2a"] = resources.get("l2a", {})
        return nb, resources
