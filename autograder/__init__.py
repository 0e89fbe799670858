"""Autograder for the Python concurrency course kit.

Student code never runs in this process: every check runs in a child process of
its own session (see :mod:`autograder.sandbox`), and results flow through one
model (:mod:`autograder.results`) that reporters turn into text or Gradescope JSON.
"""

__version__ = "0.1.0"
