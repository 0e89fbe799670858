"""Grade one student's whole course: every problem set found in one folder.

    FOLDER/ps1_threads/threads.ipynb   (nbgrader's layout: one subfolder per problem set,
    FOLDER/ps2_locks/locks.py           holding a .py, a notebook, or both)
    ...
        -> runner.grade() per problem set present, one after the other
        -> CourseResult: the GradeResults, plus the problem sets not submitted (0 points)

``solutions/`` and every student of ``examples/class/submitted/`` have this layout,
so ``python -m autograder course solutions`` grades the whole reference course.
Each problem set is graded exactly as ``grade`` would (stateless, its checks in
parallel); a problem set that is missing costs its points and is named.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.catalog import PROBLEM_SETS, ProblemSet
from autograder.results import GradeResult


def submission_in(folder: Path, ps: ProblemSet) -> Path | None:
    """The problem set's subfolder of ``folder`` when it holds something to grade."""
    sub = folder / ps.id
    if sub.is_dir() and any(p.suffix in (".py", ".ipynb") for p in sub.iterdir()):
        return sub
    return None


@dataclass
class CourseResult:
    """A student's results across the course."""

    folder: str
    results: list[GradeResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # problem set ids with nothing submitted
    execution_time: float = 0.0

    @property
    def graded(self) -> dict[str, GradeResult]:
        """Problem set id -> its result, for the problem sets that were submitted."""
        return {r.problem_set: r for r in self.results}

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.max_score for r in self.results) + sum(PROBLEM_SETS[p].points for p in self.missing)

    def rows(self) -> list[tuple[str, float, float, str]]:
        """(problem set, score, max score, status) in course order."""
        graded = self.graded
        out = []
        for ps_id, ps in PROBLEM_SETS.items():
            if ps_id in graded:
                r = graded[ps_id]
                out.append((ps_id, r.score, r.max_score, "graded"))
            elif ps_id in self.missing:
                out.append((ps_id, 0.0, ps.points, "missing"))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 3),
            "missing": list(self.missing),
            "problem_sets": [r.to_dict() for r in self.results],
        }

    def to_csv(self) -> str:
        """One row per problem set and per exercise, for a spreadsheet."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["problem_set", "exercise", "score", "max_score", "status"])
        graded = self.graded
        for ps_id, score, max_score, status in self.rows():
            if ps_id in graded:
                for ex_id, (ex_score, ex_max) in graded[ps_id].exercises().items():
                    writer.writerow([ps_id, ex_id, f"{ex_score:g}", f"{ex_max:g}", status])
            writer.writerow([ps_id, "", f"{score:g}", f"{max_score:g}", status])
        writer.writerow(["total", "", f"{self.score:g}", f"{self.max_score:g}", ""])
        return buf.getvalue()


def grade_course(folder: Path | str, *, jobs: int | None = None, python: str | None = None) -> CourseResult:
    """Grade every problem set submitted in ``folder``; raises only for the grader's own problems."""
    from autograder.runner import grade

    started = time.monotonic()
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"not a folder: {folder}")
    out = CourseResult(str(folder))
    for ps in PROBLEM_SETS.values():
        sub = submission_in(folder, ps)
        if sub is None:
            out.missing.append(ps.id)
            continue
        out.results.append(grade(ps.id, sub, jobs=jobs, python=python))
    out.execution_time = time.monotonic() - started
    return out
