"""Shared code for the From Loops to Attention notebooks.

- `helpers.checks`: the instant checks students run after each exercise.
- `helpers.grading`: strict assertions the hidden (autograded) tests use.
- `helpers.timing`, `helpers.plotting`, `helpers.widgets`: measurements and pictures.
- `helpers.course`: the `course` command (release notebooks, validate a submission).
"""
