"""Finding each student's notebook: in nbgrader's submitted/ tree, a folder, or a .zip from an LMS.

File names carry the student id; nbgrader's own FileNameCollectorPlugin reads it with a regular
expression (by default `<student>_<anything>.ipynb` or `<student>.ipynb`), and its `unzip` unpacks
archives (nested ones too). Nothing is dropped: a file whose name gives no student id, or a second notebook
from the same student, comes back as a Submission with a problem to report.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.plugins import FileNameCollectorPlugin
from nbgrader.utils import unzip

DEFAULT_PATTERN = r".*/(?P<student_id>[A-Za-z0-9.@-]+?)(_(?P<file_id>[^/]*))?\.ipynb$"


@dataclass
class Submission:
    """One student's notebook (or None when there is nothing to grade) and what is wrong before grading."""
    student: str
    path: Path | None
    problems: list[str] = field(default_factory=list)


def collect(source: Path, lesson: str, pattern: str = DEFAULT_PATTERN) -> list[Submission]:
    """Every submission in `source`: nbgrader's submitted/ tree, a folder of notebooks, or a .zip of them."""
    source = source.resolve()
    if not source.exists():
        raise FileNotFoundError(f"no submissions at {source}")
    if source.is_file():
        if source.suffix != ".zip":
            raise ValueError(f"SUBMISSIONS must be a folder or a .zip, not {source.name}")
        unpacked = Path(tempfile.mkdtemp(prefix="l2a-unzip-"))
        unzip(str(source), str(unpacked), tree=True)
        return collect(unpacked, lesson, pattern)
    if _is_submitted_tree(source, lesson):
        return _from_submitted_tree(source, lesson)
    return _from_files(sorted(p for p in source.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts), pattern)


def _is_submitted_tree(source: Path, lesson: str) -> bool:
    return any((student / lesson).is_dir() for student in source.iterdir() if student.is_dir())


def _from_submitted_tree(source: Path, lesson: str) -> list[Submission]:
    """submitted/<student>/<lesson>/<name>.ipynb, as nbgrader's collect and exchange leave it."""
    found = []
    for student in sorted(p for p in source.iterdir() if p.is_dir()):
        notebooks = sorted((student / lesson).glob("*.ipynb"))
        if not notebooks:
            found.append(Submission(student.name, None, [f"no notebook in {student.name}/{lesson}/"]))
        else:
            found.append(_first_of(student.name, notebooks))
    return found


def _from_files(files: list[Path], pattern: str) -> list[Submission]:
    """One notebook per student, the student id in each file name."""
    collector = FileNameCollectorPlugin(named_regexp=pattern)
    by_student: dict[str, list[Path]] = {}
    unnamed = []
    for path in files:
        info = collector.collect(str(path))
        if info and info.get("student_id"):
            by_student.setdefault(info["student_id"], []).append(path)
        else:
            unnamed.append(path)
    found = [_first_of(student, sorted(paths, key=lambda p: p.stat().st_mtime, reverse=True))
             for student, paths in sorted(by_student.items())]
    found += [Submission(path.name, None, [f"no student id in the file name {path.name!r} "
                                           f"(pattern {pattern!r})"]) for path in unnamed]
    return found


def _first_of(student: str, notebooks: list[Path]) -> Submission:
    """The first notebook is graded; any others are named so that nothing is lost silently."""
    others = [p.name for p in notebooks[1:]]
    problems = [f"several notebooks; graded {notebooks[0].name}, not {', '.join(others)}"] if others else []
    return Submission(student, notebooks[0], problems)
