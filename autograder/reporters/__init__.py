"""Reporters: each turns a :class:`autograder.results.GradeResult` into one format."""
