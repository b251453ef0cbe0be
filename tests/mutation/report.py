"""Mutation scores per exercise and lesson, the course's criteria on them, and their printed form.

Criteria: the hidden tests reject every mutant not recorded as equivalent, and the visible checks of
a lesson reject at least VISIBLE_SHARE of them; neither judge rejects the reference answer or a
recorded equivalent; every recorded equivalent still names a mutant.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from tests.mutation.isolation import Outcome
from tests.mutation.mutants import Mutant

VISIBLE_SHARE = 0.9


@dataclass(frozen=True)
class Judged:
    mutant: Mutant
    outcome: Outcome
    equivalent: bool


@dataclass(frozen=True)
class ExerciseScore:
    lesson: str
    exercise: str
    reference: Outcome
    judged: list[Judged]

    @property
    def candidates(self) -> list[Judged]:
        """The mutants not recorded as equivalent: every one is a wrong answer."""
        return [j for j in self.judged if not j.equivalent]

    @property
    def hidden_kills(self) -> int:
        return sum(j.outcome.hidden[0] for j in self.candidates)

    @property
    def visible_kills(self) -> int:
        return sum(j.outcome.visible[0] for j in self.candidates)

    @property
    def survivors(self) -> list[Judged]:
        """Wrong answers the hidden tests accept."""
        return [j for j in self.candidates if not j.outcome.hidden[0]]

    @property
    def visible_survivors(self) -> list[Judged]:
        """Wrong answers the visible check accepts."""
        return [j for j in self.candidates if not j.outcome.visible[0]]

    @property
    def correct_rejected(self) -> list[str]:
        """Correct answers (the reference, recorded equivalents) that a judge rejects."""
        answers = [("the reference answer", self.reference)] + [
            (f"the equivalent {_change(j.mutant)}", j.outcome) for j in self.judged if j.equivalent]
        return [f"{self.exercise}: {judge} {what}: {verdict[1]}"
                for what, outcome in answers
                for judge, verdict in (("the hidden tests reject", outcome.hidden),
                                       ("the visible check rejects", outcome.visible))
                if verdict[0]]


@dataclass
class LessonScore:
    lesson: str
    exercises: list[ExerciseScore]
    stale: list[str] = field(default_factory=list)  # recorded equivalents that name no mutant

    @property
    def candidates(self) -> int:
        return sum(len(e.candidates) for e in self.exercises)

    @property
    def visible_share(self) -> float:
        return sum(e.visible_kills for e in self.exercises) / self.candidates if self.candidates else 1.0

    def problems(self) -> list[str]:
        """What fails the criteria, one line each; empty when the lesson passes."""
        found = [line for e in self.exercises for line in e.correct_rejected]
        found += [f"{e.exercise}: the hidden tests accept {len(e.survivors)} of {len(e.candidates)} mutants"
                  for e in self.exercises if e.survivors]
        if self.visible_share < VISIBLE_SHARE:
            found.append(f"{self.lesson}: the visible checks reject {self.visible_share:.1%} of its mutants, "
                         f"fewer than {VISIBLE_SHARE:.0%}")
        return found + [f"recorded as equivalent but no such mutant: {key}" for key in self.stale]


def _change(mutant: Mutant) -> str:
    return f"{mutant.operator}  {mutant.before}  →  {mutant.after}"


def _ratio(part: int, whole: int) -> str:
    return f"{part:4d}/{whole:<4d} {part / whole:6.1%}" if whole else f"{part:4d}/{whole:<4d}    —  "


def table(lesson: LessonScore) -> list[str]:
    """The per-exercise table of a lesson, with its total."""
    width = max([28] + [len(e.exercise) for e in lesson.exercises])    # the longest exercise name
    lines = [f"{lesson.lesson:<{width + 2}} {'mutants':>7} {'equiv':>5}  {'hidden tests kill':>17}  "
             f"{'visible check kills':>19}  {'survive':>7}"]
    rows = [(e.exercise, len(e.judged), len(e.judged) - len(e.candidates), e.hidden_kills, e.visible_kills,
             len(e.candidates), len(e.survivors)) for e in lesson.exercises]
    rows.append(("all", *(sum(column) for column in list(zip(*rows))[1:])) if rows else ("all", 0, 0, 0, 0, 0, 0))
    for name, total, equivalent, hidden, visible, candidates, survivors in rows:
        lines.append(f"  {name:<{width}} {total:>7} {equivalent:>5}  {_ratio(hidden, candidates):>17}  "
                     f"{_ratio(visible, candidates):>19}  {survivors:>7}")
    return lines


def survivors(lesson: LessonScore, visible_too: bool) -> list[str]:
    """The mutants the hidden tests accept (and, if `visible_too`, those only the visible check accepts)."""
    lines = []
    for e in lesson.exercises:
        listed = [(j, "hidden+visible" if not j.outcome.visible[0] else "hidden") for j in e.survivors]
        if visible_too:
            listed += [(j, "visible") for j in e.visible_survivors if j.outcome.hidden[0]]
        if listed:
            lines.append(f"  {lesson.lesson} / {e.exercise}")
            lines += [f"    {'[passes ' + passes + ']':<24} {_change(j.mutant)}" for j, passes in listed]
    return lines
