"""``python -m autograder.demo`` (``make demo``): the example class through real nbgrader.

Shows that stock nbgrader, configured by ``nbgrader_config.py``, grades the kit's
notebooks with the kit's scores. In a fresh course folder ``.demo/`` at the repo root:

    nbgrader generate_assignment <ps>         (per problem set with example students)
    nbgrader db student import students.csv   (every example student, one command:
                                               each nbgrader start costs ~4 s)
    nbgrader autograde <ps>                   (GradeWithKit instead of a Jupyter kernel)

then reads the SQLite gradebook through nbgrader's ``Gradebook`` API and prints one row
per student. ``correct`` and ``alt_*`` students should score full marks, ``mistake_*``
students should lose points on their exercise; a row that does not is marked. Exits
non-zero when an nbgrader command fails or the kit could not grade a notebook.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import nbformat
from rich.console import Console
from rich.table import Table

from autograder.build import ROOT, SUBMITTED, BuildError, run_nbgrader
from autograder.catalog import PROBLEM_SETS, ProblemSet
from autograder.content import load_content
from autograder.nbgrader_ext import GRADE_PREFIX, KIT_OUTPUT_KEY

DEMO = ROOT / ".demo"


def prepare_course(course: Path) -> dict[str, list[str]]:
    """A fresh course folder; returns problem set id -> example students who submitted it."""
    shutil.rmtree(course, ignore_errors=True)
    course.mkdir(parents=True)
    shutil.copy2(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(ROOT / "source", course / "source")
    shutil.copytree(ROOT / SUBMITTED, course / "submitted")
    students: dict[str, list[str]] = {}
    for ps_id in PROBLEM_SETS:
        students[ps_id] = sorted(p.name for p in (course / "submitted").iterdir()
                                 if (p / ps_id).is_dir())
    return {ps: names for ps, names in students.items() if names}


def kit_results(notebook: Path) -> dict[str, dict]:
    """Exercise id -> the machine-readable result GradeWithKit left in the autograded notebook."""
    out: dict[str, dict] = {}
    if not notebook.is_file():
        return out
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        for output in cell.get("outputs", []):
            kit = output.get("metadata", {}).get(KIT_OUTPUT_KEY)
            if kit is not None and grade_id.startswith(GRADE_PREFIX):
                out[grade_id[len(GRADE_PREFIX):]] = kit
    return out


def first_problem(results: dict[str, dict], ps: ProblemSet) -> str:
    """The first failing test's message, English, first line."""
    for ex in ps.exercises:
        kit = results.get(ex.id, {})
        if "error" in kit:
            return f"{ps.short}.{ex.id}: grader error: {kit['error'].get('en', '')}"
        for test in kit.get("tests", []):
            if test["score"] < test["max_score"]:
                message = test["message"].get("en", "").strip().splitlines()
                return f"{test['name']}: {message[0] if message else test['outcome']}"[:160]
    return ""


def expected_outcome(student: str, ps: ProblemSet, lost: set[str]) -> bool:
    """``correct``/``alt_*`` lose nothing; ``mistake_<id>`` loses points on its own exercise."""
    if student == "correct" or student.startswith("alt_"):
        return not lost
    if student.startswith("mistake_"):
        variant = student[len("mistake_"):]
        exercises = {c.exercise for c in load_content(ps).of_kind("mistake") if c.variant_id == variant}
        return bool(exercises & lost)
    return True


def report(course: Path, problem_sets: dict[str, list[str]], console: Console) -> int:
    """Print a table per problem set from the gradebook; returns how many notebooks the kit failed on."""
    from nbgrader.api import Gradebook, MissingEntry

    kit_failures = 0
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for ps_id, students in problem_sets.items():
            ps = PROBLEM_SETS[ps_id]
            table = Table(title=f"{ps.id} ({ps.notebook_name}) — nbgrader gradebook", title_justify="left")
            table.add_column("student", no_wrap=True)
            for ex in ps.exercises:
                table.add_column(ex.id, justify="right")
            table.add_column("total", justify="right")
            table.add_column("as expected", justify="center")
            reasons = []
            for student in students:
                try:
                    submission = gb.find_submission(ps.id, student)
                except MissingEntry:
                    table.add_row(student, *["—"] * len(ps.exercises), "missing", "✗")
                    kit_failures += 1
                    continue
                grades = {g.name: g for nb in submission.notebooks for g in nb.grades}
                cells, lost = [], set()
                for ex in ps.exercises:
                    grade = grades.get(f"{GRADE_PREFIX}{ex.id}")
                    if grade is None:
                        cells.append("—")
                        continue
                    score = grade.score or 0.0
                    if score < grade.max_score:
                        lost.add(ex.id)
                    style = "green" if score >= grade.max_score else "red"
                    cells.append(f"[{style}]{score:g}/{grade.max_score:g}[/]")
                results = kit_results(course / "autograded" / student / ps.id / ps.notebook_name)
                if not results or any("error" in r for r in results.values()):
                    kit_failures += 1
                ok = expected_outcome(student, ps, lost)
                table.add_row(student, *cells, f"{submission.score:g}/{submission.max_score:g}",
                              "✓" if ok else "[bold red]✗[/]")
                if lost or not results:
                    reasons.append((student, first_problem(results, ps) or "no kit result in the notebook"))
            console.print(table)
            for student, reason in reasons:
                console.print(f"  [bold]{student}[/]: {reason}", highlight=False, soft_wrap=True)
    return kit_failures


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    console = Console()
    if not console.is_terminal:  # piped (make, CI): rich would assume 80 columns and cut the names
        console = Console(width=160)
    problem_sets = prepare_course(DEMO)
    if not problem_sets:
        console.print(f"no example students in {SUBMITTED}: run `python -m autograder build` first")
        return 1
    students = sorted({s for names in problem_sets.values() for s in names})
    (DEMO / "students.csv").write_text("id\n" + "".join(f"{s}\n" for s in students), encoding="utf-8")
    steps = [["generate_assignment", ps, "--force"] for ps in problem_sets]
    steps.append(["db", "student", "import", "students.csv"])
    steps += [["autograde", ps] for ps in problem_sets]
    for args in steps:
        step_started = time.monotonic()
        console.print(f"$ nbgrader {' '.join(args)}", highlight=False, end="")
        try:
            run_nbgrader(args, DEMO)
        except BuildError as exc:
            console.print(f"\n[bold red]failed[/]\n{exc}", highlight=False)
            return 1
        console.print(f"  [dim]{time.monotonic() - step_started:.1f} s[/]", highlight=False)
    failures = report(DEMO, problem_sets, console)
    console.print(f"{len(students)} students graded by nbgrader in {DEMO}; wall time "
                  f"{time.monotonic() - started:.1f} s", highlight=False)
    if failures:
        console.print(f"[bold red]the kit could not grade {failures} notebook(s)[/]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
