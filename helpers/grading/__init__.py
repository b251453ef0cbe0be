"""Grading a whole class with nbgrader: `course grade LESSON SUBMISSIONS`.

collect      find each student's notebook in a folder, a .zip or nbgrader's submitted/ tree
screen       read a submission before running it: broken notebook, missing or altered cells, tampering
sandbox      the kernel a submission runs in: time, memory and process limits, no network
forkserver   kernels forked from a warm process that has imported what they need
prestart     nbgrader's Execute on a kernel started while the previous submission was being saved
cells        nbgrader preprocessors: run only what grading needs, keep hidden tests out of feedback
autograde    nbgrader's autograde and feedback, sharded over processes, recorded in one gradebook
nbgrader_shortcuts  nbgrader without its repeated work (alembic lookups, SQL engines, schema checks)
feedback     the feedback page exporter: each piece of the lesson's text rendered once
background_feedback  feedback for the students graded so far, in forked processes while grading goes on
report       grades.csv, the class report and the summary
"""
import sys

# nbformat validates with jsonschema, which imports rfc3987_syntax when it is installed (jupyter_events
# requires it) only to check the "iri" formats that no notebook or gradebook schema uses; importing it
# compiles a grammar, about 2 s for every grading command. Grading does without it, as jsonschema
# does when it is not installed.
sys.modules.setdefault("rfc3987_syntax", None)
