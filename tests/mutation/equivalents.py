"""The mutants recorded as equivalent to the reference answer, each with its reason.

They live in equivalent.toml beside this module, one `[[equivalent]]` table each, keyed like a
Mutant (exercise, operator, the line before and after, occurrence) so that edits elsewhere in a
solution do not move them. Record only a mutant that computes the same function as the reference
for every valid input, never one that today's tests happen to miss.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

FILE = Path(__file__).with_name("equivalent.toml")


@dataclass(frozen=True)
class Equivalent:
    exercise: str
    operator: str
    before: str
    after: str
    reason: str
    occurrence: int = 0

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        return self.exercise, self.operator, self.before, self.after, self.occurrence


def recorded(path: Path = FILE) -> dict[tuple, Equivalent]:
    """Every recorded equivalent mutant by its key."""
    entries = [Equivalent(**entry) for entry in tomllib.loads(path.read_text()).get("equivalent", [])]
    for entry in entries:
        assert entry.reason.strip(), f"{entry.key} is recorded as equivalent without a reason"
    return {entry.key: entry for entry in entries}
