"""nbgrader configuration for the course kit (nbgrader 0.9.6).

Copy this file into the course folder (the folder holding ``source/``), or run
nbgrader from the repo root. ``CourseDirectory.root`` is not set: nbgrader uses the
folder it runs in. The kit must be importable by the Python running nbgrader
(``pip install -e .``). nbgrader only *warns* when this file fails to load and then
falls back to its stock behaviour, so watch for that warning.

What changes compared with stock nbgrader, and why (see autograder/nbgrader_ext.py):

* generate_assignment: the student starts from the tutorial's buggy code, not from
  ``raise NotImplementedError`` (UseSkeletonCode, right after ClearSolutions).
* autograde: no Jupyter kernel. GradeWithKit grades the whole notebook with the kit,
  which runs every check in its own child process with short time limits, so a hung
  exercise costs seconds and only that exercise's points, stderr never zeroes a cell,
  and hidden tests (they live in autograder/, never in a notebook) are not shown.
"""

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

from autograder.nbgrader_ext import autograde_preprocessors, generate_assignment_preprocessors

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

# generate_assignment: stock list, with UseSkeletonCode after ClearSolutions.
c.GenerateAssignment.preprocessors = generate_assignment_preprocessors()
# Only used for a solution cell without a kit skeleton (a notebook not built by the kit).
c.ClearSolutions.code_stub = {"python": "# 在这里写代码 / YOUR CODE HERE\nraise NotImplementedError()"}

# autograde: stock list, with GradeWithKit in place of Execute (SaveAutoGrades etc. stay).
c.Autograde.autograde_preprocessors = autograde_preprocessors()
# A grade cell the student deleted is put back, so it is graded instead of left empty.
c.OverwriteCells.add_missing_cells = True
# Feedback language: "zh", "en", or "" for the environment (KIT_LANG, then the locale).
c.GradeWithKit.lang = ""

# generate_feedback: our notebooks hold no hidden tests; clear any region anyway.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
