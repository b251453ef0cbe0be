"""Mutation testing of the course: wrong answers made from every reference solution, and who rejects them.

mutants.py makes them with cosmic-ray's operators and ours (operators.py); isolation.py judges each
one, through verdict.py, by the exercise's hidden tests and by its visible check; equivalents.py
reads the mutants recorded as equivalent (equivalent.toml); report.py scores and prints; the command
is `python -m tests.mutation [LESSON ...] [--exercise NAME] [--survivors]`.

A survivor of the hidden tests is fixed by a new hidden-test case (and, where students make that
mistake, a visible check and a hand-written mutant in tests/mutants/ with the phrase it says), or,
only if it computes the same function for every valid input, by an entry in equivalent.toml.
"""
