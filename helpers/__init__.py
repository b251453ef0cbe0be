"""Shared code for the From Loops to Attention notebooks.

- `helpers.checks`: the instant checks students run after each exercise; the hidden (autograded)
  tests use the same tools (`call_student`, `expect_array`, `expect_close`, `expect_no_loops`).
- `helpers.gradcheck`: central-difference Jacobians and gradients, to check hand-written backward passes.
- `helpers.activations`: the numerically stable sigmoid the lessons share.
- `helpers.timing`, `helpers.plotting`, `helpers.widgets`: measurements, figures and controls that
  several lessons share; each lesson's own references, data and views have modules of their own.
- `helpers.course`: the `course` command (release student notebooks, validate a notebook).
"""
