"""The two set-ups agree everywhere: a student's (`make lab`, environment.yml) and the full one (`make test`,
environment-test.yml), and a lesson needs nothing the student's lacks."""
import ast
import importlib.metadata
import subprocess
import sys
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement

from tests.notebooks import ROOT, read, released_notebooks, solution_notebooks

CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]


def _normalise(spec: str) -> tuple[str, str]:
    requirement = Requirement(spec)
    name = requirement.name.lower().replace("_", "-")
    return CONDA_NAMES.get(name, name), str(requirement.specifier)


@pytest.mark.parametrize("file, extras", [("environment.yml", []), ("environment-test.yml", sorted(EXTRAS))])
def test_conda_environment_matches_the_pip_set_up(file, extras):
    pip_side = {_normalise(s) for s in PROJECT["dependencies"] + [s for e in extras for s in EXTRAS[e]]}
    entries = yaml.safe_load((ROOT / file).read_text())["dependencies"]
    conda_side = {_normalise(e) for e in entries if isinstance(e, str)}
    conda_side -= {_normalise("python>=3.11"), ("pip", "")}
    assert conda_side == pip_side, (f"only in {file}: {sorted(conda_side - pip_side)}; "
                                    f"only in pyproject.toml: {sorted(pip_side - conda_side)}")
    pip_section = next(e["pip"] for e in entries if isinstance(e, dict))
    assert pip_section == ["--editable ."], "conda users install the project itself with pip, editable"
    assert PROJECT["requires-python"] == ">=3.11"


def _installs(target: str) -> list[str]:
    """What `make TARGET` would pip-install from scratch: the arguments after --editable, from a dry run."""
    run = subprocess.run(["make", "--dry-run", "--always-make", "--no-print-directory", target], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return [line.split("--editable", 1)[1].strip() for line in run.stdout.splitlines()
            if "pip install" in line and "--editable" in line]


def test_make_lab_installs_what_a_student_needs_and_make_test_and_bench_add_their_extras():
    assert _installs("lab") == ["."]
    assert _installs("test") == [".", "'.[test,bench,hub]'"]
    assert _installs("bench") == [".", "'.[bench]'"]


def _imported_modules(source: str, filename: str) -> set[str]:
    """Top-level names of the modules `source` imports (IPython magics and shell lines left out)."""
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    names = set()
    for node in ast.walk(ast.parse(code, filename)):
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.partition(".")[0])
    return names


def _student_distributions() -> set[str]:
    """The project's dependencies and everything they require in turn (no extras), as installed."""
    wanted = [Requirement(spec) for spec in PROJECT["dependencies"]]
    found: set[str] = set()
    while wanted:
        requirement = wanted.pop()
        name = requirement.name.lower().replace("_", "-")
        if name in found or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        found.add(name)
        try:
            wanted += [Requirement(spec) for spec in importlib.metadata.requires(name) or []]
        except importlib.metadata.PackageNotFoundError:
            pytest.fail(f"{name}, which the student's set-up requires, is not installed: run `make setup`")
    return found


def test_lessons_and_helpers_import_only_what_the_student_set_up_installs():
    modules = set()
    for path in solution_notebooks() + released_notebooks():
        for cell in read(path).cells:
            if cell.cell_type == "code":
                modules |= _imported_modules(cell.source, str(path))
    for path in (ROOT / "helpers").rglob("*.py"):
        modules |= _imported_modules(path.read_text(), str(path))
    assert "tests" not in modules, "a lesson or helper imports the tests, which a student's set-up does not install"
    distributions = importlib.metadata.packages_distributions()
    student = _student_distributions()
    missing = {module: distributions.get(module) for module in modules - set(sys.stdlib_module_names) - {"helpers"}
               if not {d.lower().replace("_", "-") for d in distributions.get(module, [])} & student}
    assert not missing, f"imported but not installed by `make lab` (add to pyproject.toml's dependencies): {missing}"
