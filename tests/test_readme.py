"""Every command the README shows is exercised by a named test, and CI runs the README's test command."""
import re

import pytest

from tests.notebooks import ROOT

# README command -> (test module, test function) that runs it for real.
EXERCISED_BY = {
    "make lab": ("tests/test_lab.py", "test_make_lab_opens_the_overview_with_nbgrader_working"),
    "make test": ("tests/test_readme.py", "test_ci_runs_make_test"),
    "course validate": ("tests/test_course_validate.py", "test_the_unfilled_stub_fails_validation_and_says_why"),
    "course release": ("tests/test_release.py", "test_released_notebooks_are_up_to_date"),
    "course grade": ("tests/test_autograde.py",
                     "test_course_grade_gives_full_marks_to_the_solution_and_zero_to_the_stub"),
    "make bench": ("tests/test_benchmarks.py", "test_make_bench_runs_every_benchmark_and_writes_json"),
    "course progress": ("tests/test_progress.py", "test_course_progress_prints_the_table"),
}


def readme_commands() -> list[str]:
    """'program subcommand' of every command line in the README's sh blocks."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    return [" ".join(line.removeprefix(".venv/bin/").split()[:2]) for line in lines if line]


def test_readme_shows_the_two_commands_first():
    commands = readme_commands()
    assert commands[:2] == ["make lab", "make test"]


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_is_exercised_by_a_test(command):
    assert command in EXERCISED_BY, f"README shows `{command}` but no test runs it"
    module, function = EXERCISED_BY[command]
    source = (ROOT / module).read_text()
    assert f"def {function}(" in source, f"{module} has no {function}"
    program, _, subcommand = command.partition(" ")
    assert subcommand in source and (program in source or program.upper() in source), \
        f"{module} does not run `{command}`"


def test_ci_runs_make_test():
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", script, flags=re.MULTILINE), ".ci/run must call the README's `make test`"


def test_readme_images_exist():
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (ROOT / "README.md").read_text())
    assert images, "the README shows screenshots of the course in JupyterLab"
    for image in images:
        assert (ROOT / image).is_file(), f"README shows {image}, which does not exist"
