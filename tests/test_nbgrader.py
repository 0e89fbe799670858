"""Real nbgrader, configured by nbgrader_config.py, grades like ``python -m autograder grade``.

One temporary course folder for the module: ``generate_assignment`` of every problem
set, ``autograde`` of the whole example class, then one extra student whose notebook
hangs forever in one exercise, autograded on its own and timed. The gradebook must hold,
per student and exercise, exactly the scores of ``grade()``: for the whole class as
GradeWithKit ran it (its per-test results stay in the cell outputs), and for a sample
graded again, independently, by the grader's command line in a process of its own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from autograder import build
from autograder.catalog import PROBLEM_SETS, ProblemSet
from autograder.content import load_content
from autograder.nbgrader_ext import KIT_OUTPUT_KEY

ROOT = build.ROOT
HANG_STUDENT = "hang_forever"
STOCK_CELL_TIMEOUT = 30.0  # nbgrader's Execute.timeout per cell



@dataclass
class Course:
    path: Path
    problem_sets: dict[str, list[str]]  # ps id -> students
    hang_exercise: dict[str, str]  # ps id -> the exercise the hang student's notebook hangs in
    hang_seconds: float

    def autograded(self, student: str, ps: ProblemSet) -> Path:
        return self.path / "autograded" / student / ps.id / ps.notebook_name

    def submitted(self, student: str, ps: ProblemSet) -> Path:
        return self.path / "submitted" / student / ps.id / ps.notebook_name


def _hang_code(solution: str) -> str:
    """The solution with ``while True: pass`` as the first statement of every function in it."""
    lines = solution.splitlines()
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        stripped = line.lstrip()
        if stripped.startswith("def ") and line.rstrip().endswith(":"):
            body = next((n for n in lines[i + 1:] if n.strip()), "    pass")
            indent = body[: len(body) - len(body.lstrip())]
            out.append(f"{indent}while True:  # hangs forever\n{indent}    pass")
    return "\n".join(out)


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    path = tmp_path_factory.mktemp("course")
    shutil.copy2(ROOT / "nbgrader_config.py", path / "nbgrader_config.py")
    shutil.copytree(ROOT / "source", path / "source")
    shutil.copytree(ROOT / build.SUBMITTED, path / "submitted")
    problem_sets = {}
    for ps_id in PROBLEM_SETS:
        students = sorted(p.name for p in (path / "submitted").iterdir() if (p / ps_id).is_dir())
        if students:
            problem_sets[ps_id] = students
    assert problem_sets, "no example class: run `python -m autograder build`"
    for ps_id in problem_sets:
        build.run_nbgrader(["generate_assignment", ps_id, "--force"], path)
        build.run_nbgrader(["autograde", ps_id], path)
    # The hanging student: every solution right, one exercise's functions loop forever.
    hang_exercise = {}
    for ps_id in problem_sets:
        ps = PROBLEM_SETS[ps_id]
        content = load_content(ps)
        exercise = content.of_kind("solution")[0].exercise
        hang_exercise[ps_id] = exercise
        nb = nbformat.read(path / "submitted" / "correct" / ps_id / ps.notebook_name, as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == exercise:
                cell.source = _hang_code(content.code("solution", exercise))
        target = path / "submitted" / HANG_STUDENT / ps_id / ps.notebook_name
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
    started = time.monotonic()
    for ps_id in problem_sets:
        build.run_nbgrader(["autograde", ps_id, "--student", HANG_STUDENT], path)
    hang_seconds = time.monotonic() - started
    for ps_id in problem_sets:
        problem_sets[ps_id].append(HANG_STUDENT)
    return Course(path, problem_sets, hang_exercise, hang_seconds)


def kit_grade(ps: ProblemSet, notebook: Path) -> dict[str, tuple[float, float]]:
    """The kit's per-exercise scores, from ``python -m autograder grade --format json`` in its own process."""
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", ps.id, str(notebook), "--format", "json"],
                          capture_output=True, text=True, encoding="utf-8", stdin=subprocess.DEVNULL, check=True)
    totals: dict[str, tuple[float, float]] = {}
    for test in json.loads(proc.stdout)["tests"]:
        score, max_score = totals.get(test["exercise"], (0.0, 0.0))
        totals[test["exercise"]] = (score + test["score"], max_score + test["max_score"])
    return totals


def notebook_scores(course: Course, student: str, ps: ProblemSet) -> dict[str, tuple[float, float]]:
    """Per-exercise scores of ``grade()`` as GradeWithKit ran it inside nbgrader (kept in the outputs)."""
    nb = nbformat.read(course.autograded(student, ps), as_version=4)
    out = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            kit = output.get("metadata", {}).get(KIT_OUTPUT_KEY)
            if kit is not None:
                out[kit["exercise"]] = (sum(t["score"] for t in kit["tests"]), sum(t["max_score"] for t in kit["tests"]))
    return out


def gradebook_scores(course: Course, ps: ProblemSet) -> dict[str, dict[str, tuple[float, float]]]:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course.path / 'gradebook.db'}") as gb:
        for student in course.problem_sets[ps.id]:
            submission = gb.find_submission(ps.id, student)
            out[student] = {g.name.removeprefix("test_"): (g.score, g.max_score)
                            for nb in submission.notebooks for g in nb.grades}
    return out


def _mismatches(student: str, ps: ProblemSet, book: dict, kit: dict) -> list[str]:
    found = []
    if set(book) != set(kit):
        found.append(f"{student}: exercises differ: gradebook {sorted(book)}, kit {sorted(kit)}")
    for exercise, (score, max_score) in book.items():
        expected, expected_max = kit.get(exercise, (None, None))
        if expected is None or abs(score - expected) > 1e-6 or abs(max_score - expected_max) > 1e-6:
            found.append(f"{student} {ps.short}.{exercise}: gradebook {score}/{max_score}, "
                         f"kit {expected}/{expected_max}")
    return found


@pytest.mark.slow
def test_gradebook_equals_grade_run_inside_nbgrader(course: Course) -> None:
    """Every student of the class: nbgrader's stored scores are exactly what grade() gave."""
    mismatches = []
    for ps_id, students in course.problem_sets.items():
        ps = PROBLEM_SETS[ps_id]
        book = gradebook_scores(course, ps)
        for student in students:
            mismatches += _mismatches(student, ps, book[student], notebook_scores(course, student, ps))
    assert not mismatches, "\n".join(mismatches)


def independent_sample(course: Course, ps: ProblemSet) -> list[str]:
    """``correct``, the hanging student and one mistake per exercise: every exercise gets a partial score.

    Grading the whole class a second time would double a multi-minute test; the whole class
    is compared above with grade() as nbgrader ran it.
    """
    content = load_content(ps)
    students = ["correct", HANG_STUDENT]
    for exercise in [c.exercise for c in content.of_kind("solution")]:
        ids = [c.variant_id for c in content.of_kind("mistake", exercise)]
        if ids and f"mistake_{ids[0]}" in course.problem_sets[ps.id]:
            students.append(f"mistake_{ids[0]}")
    return students


@pytest.mark.slow
def test_gradebook_equals_the_grade_command(course: Course) -> None:
    """The same notebooks graded by `python -m autograder grade` in a process of its own."""
    mismatches = []
    for ps_id in course.problem_sets:
        ps = PROBLEM_SETS[ps_id]
        book = gradebook_scores(course, ps)
        for student in independent_sample(course, ps):
            mismatches += _mismatches(student, ps, book[student], kit_grade(ps, course.submitted(student, ps)))
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.slow
def test_autograded_notebooks_have_no_error_or_stderr_output(course: Course) -> None:
    for ps_id, students in course.problem_sets.items():
        ps = PROBLEM_SETS[ps_id]
        for student in students:
            nb = nbformat.read(course.autograded(student, ps), as_version=4)
            for cell in nb.cells:
                for output in cell.get("outputs", []):
                    assert output.output_type in ("stream", "execute_result"), (student, output.output_type)
                    if output.output_type == "stream":
                        assert output.name == "stdout", (student, cell.metadata)
            graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
            assert graded and all(len(c.outputs) == 2 for c in graded), student


def _hidden_names(ps: ProblemSet) -> list[str]:
    text = (ps.folder / "test_hidden.py").read_text(encoding="utf-8")
    names = []
    for line in text.splitlines():
        if line.startswith("def "):
            names.append(line[4:].split("(")[0])
    return names


def _hidden_leaks(text: str, ps: ProblemSet) -> list[str]:
    """Hidden-test source that shows in ``text``: its function names, file name, decorators, calls."""
    needles = _hidden_names(ps) + ["test_hidden", "@check(", "expect(", "BEGIN HIDDEN TESTS"]
    return [needle for needle in needles if needle in text]


@pytest.mark.slow
def test_no_hidden_test_text_in_autograded_notebooks(course: Course) -> None:
    leaks = []
    for ps_id, students in course.problem_sets.items():
        ps = PROBLEM_SETS[ps_id]
        assert _hidden_names(ps)
        for student in students:
            text = course.autograded(student, ps).read_text(encoding="utf-8")
            for needle in _hidden_leaks(text, ps):
                line = next(ln for ln in text.splitlines() if needle in ln).strip()
                leaks.append(f"{student} {ps.id}: {needle!r} in {line[:200]}")
    assert not leaks, "hidden-test text in autograded notebooks:\n" + "\n".join(leaks)


@pytest.mark.slow
def test_no_hidden_test_text_in_generated_feedback(course: Course) -> None:
    leaks = []
    for ps_id, students in course.problem_sets.items():
        ps = PROBLEM_SETS[ps_id]
        build.run_nbgrader(["generate_feedback", ps_id], course.path)
        for student in students:
            html = (course.path / "feedback" / student / ps_id / f"{ps.module}.html").read_text(encoding="utf-8")
            leaks += [f"{student} {ps.id}: {needle!r}" for needle in _hidden_leaks(html, ps)]
    assert not leaks, "hidden-test text in feedback:\n" + "\n".join(leaks)


@pytest.mark.slow
def test_a_hanging_exercise_costs_only_its_points_and_seconds(course: Course) -> None:
    for ps_id in course.problem_sets:
        ps = PROBLEM_SETS[ps_id]
        book = gradebook_scores(course, ps)[HANG_STUDENT]
        hung = course.hang_exercise[ps_id]
        assert book[hung][0] == 0, book
        for exercise, (score, max_score) in book.items():
            if exercise != hung:
                assert score == max_score, f"{exercise} lost points although only {hung} hangs: {book}"
        nb = nbformat.read(course.autograded(HANG_STUDENT, ps), as_version=4)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"test_{hung}")
        text = cell.outputs[0].text
        assert "while True" in text or "timed out" in text.lower() or "超时" in text, text
    # Stock nbgrader spends 30 s on each hung cell (and the stuck kernel hangs the next ones).
    # Here a whole nbgrader run for the student, ~4 s of which is nbgrader's own start-up, stays well under.
    per_run = course.hang_seconds / len(course.problem_sets)
    assert per_run < STOCK_CELL_TIMEOUT * 2 / 3, f"autograde of the hanging notebook took {per_run:.1f} s"


def _grade_cell(grade_id: str, points: float) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("assert True")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": grade_id,
                                 "points": points, "schema_version": 3}
    return cell


@pytest.mark.parametrize(("earned", "possible", "points", "expected"),
                         [(0.0, 10.0, 10.0, 0.0), (4.0, 10.0, 10.0, 4.0), (10.0, 10.0, 10.0, 10.0),
                          (5.0, 10.0, 4.0, 2.0)])
def test_nbgrader_reads_the_written_score_as_partial_credit(earned, possible, points, expected) -> None:
    """0 and full marks included: nbgrader's determine_grade takes the execute_result as the score."""
    from nbgrader.utils import determine_grade

    from autograder.i18n import Msg
    from autograder.nbgrader_ext import fill_grade_cells
    from autograder.results import GradeResult, TestResult

    nb = nbformat.v4.new_notebook(cells=[_grade_cell("test_greet_all", points)])
    tests = [TestResult("ps1.greet_all: a", "greet_all", Msg("甲", "a"), possible / 2, score=min(earned, possible / 2),
                        outcome="passed" if earned >= possible / 2 else "failed"),
             TestResult("ps1.greet_all: b", "greet_all", Msg("乙", "b"), possible / 2,
                        score=max(0.0, earned - possible / 2), outcome="failed", message=Msg("错", "wrong"))]
    fill_grade_cells(nb, GradeResult("ps1_threads", "threads.ipynb", "test", tests), None, "en")
    cell = nb.cells[0]
    assert [o.output_type for o in cell.outputs] == ["stream", "execute_result"]
    assert cell.outputs[0].name == "stdout"
    assert determine_grade(cell) == (pytest.approx(expected), points)
    nbformat.validate(nb)


def test_a_kit_failure_gives_zero_with_a_reason_and_never_raises() -> None:
    from nbgrader.utils import determine_grade

    from autograder.nbgrader_ext import GradeWithKit

    nb = nbformat.v4.new_notebook(cells=[_grade_cell("test_greet_all", 10.0), _grade_cell("my_own_cell", 5.0)])
    resources = {"nbgrader": {"assignment": "no_such_problem_set", "notebook": "threads"}}
    out, _ = GradeWithKit(lang="en").preprocess(nb, resources)
    for cell in out.cells:
        assert determine_grade(cell)[0] == 0
        assert "grader itself failed" in cell.outputs[0].text
        assert all(o.output_type != "error" and o.get("name") != "stderr" for o in cell.outputs)
