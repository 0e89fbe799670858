"""Start-up hooks for the student's child processes (see :mod:`autograder.proctree`)."""
