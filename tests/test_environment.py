"""environment.yml (conda) and pyproject.toml (pip) must ask for the same packages."""
import tomllib

import yaml
from packaging.requirements import Requirement

from tests.notebooks import ROOT

CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def _normalise(spec: str) -> tuple[str, str]:
    requirement = Requirement(spec)
    name = requirement.name.lower().replace("_", "-")
    return CONDA_NAMES.get(name, name), str(requirement.specifier)


def test_conda_environment_matches_pip_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    optional = [spec for extra in extras.values() for spec in extra]
    pip_side = {_normalise(s) for s in project["dependencies"] + optional}
    entries = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda_side = {_normalise(e) for e in entries if isinstance(e, str)}
    conda_side -= {_normalise("python>=3.11"), ("pip", "")}
    assert conda_side == pip_side, (f"only in environment.yml: {sorted(conda_side - pip_side)}; "
                                    f"only in pyproject.toml: {sorted(pip_side - conda_side)}")
    pip_section = next(e["pip"] for e in entries if isinstance(e, dict))
    assert pip_section == ["--editable ."], "conda users install the project itself with pip, editable"
    assert project["requires-python"] == ">=3.11"
