"""``python -m autograder course FOLDER``: one student's whole course in one command.

The folder below holds the ps2 reference solution, a ps1 notebook-less module that does not
import (so its grading is one probe child), and nothing for the other problem sets: the
totals must add up, a missing problem set must cost its points and be named, and every
format must carry the same numbers.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from autograder.catalog import PROBLEM_SETS, get_problem_set
from autograder.content import load_content
from autograder.course import CourseResult
from autograder.results import GradeResult

try:  # tests/ may or may not be a package
    from tests.conftest import run_cli
except ImportError:  # pragma: no cover
    from conftest import run_cli

PS1, PS2 = get_problem_set("ps1_threads"), get_problem_set("ps2_locks")


@pytest.fixture(scope="module")
def student(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("student")
    (folder / PS1.id).mkdir()
    (folder / PS1.id / "threads.py").write_text("def greet_all(names, greet:\n    pass\n", encoding="utf-8")
    (folder / PS2.id).mkdir()
    (folder / PS2.id / "locks.py").write_text(load_content(PS2).module_source(), encoding="utf-8")
    (folder / "ps5_executors").mkdir()  # an empty folder counts as not submitted
    return folder


@pytest.fixture(scope="module")
def as_json(student, tmp_path_factory) -> dict:
    run = run_cli(tmp_path_factory.mktemp("cli"), "course", student, "--format", "json")
    assert run.returncode == 0, run.stderr
    assert run.left_processes == [] and run.left_dirs == []
    return run.json()


def test_course_grades_what_was_submitted_and_counts_the_rest_as_missing(as_json):
    graded = {r["problem_set"]: r for r in as_json["problem_sets"]}
    assert set(graded) == {PS1.id, PS2.id}
    assert graded[PS2.id]["score"] == graded[PS2.id]["max_score"] == PS2.points
    assert graded[PS1.id]["score"] == 0 and graded[PS1.id]["max_score"] == PS1.points
    assert all("Syntax error" in t["message"]["en"] for t in graded[PS1.id]["tests"])
    assert as_json["missing"] == [p for p in PROBLEM_SETS if p not in graded]
    assert as_json["score"] == PS2.points
    assert as_json["max_score"] == sum(ps.points for ps in PROBLEM_SETS.values())


def test_course_json_round_trips_into_the_results_model(as_json):
    results = [GradeResult.from_dict(r) for r in as_json["problem_sets"]]
    again = CourseResult(as_json["folder"], results, as_json["missing"], as_json["execution_time"])
    assert again.to_dict() == as_json


def test_course_csv_has_a_row_per_exercise_and_the_same_totals(as_json):
    results = [GradeResult.from_dict(r) for r in as_json["problem_sets"]]
    rows = list(csv.DictReader(io.StringIO(CourseResult("x", results, as_json["missing"]).to_csv())))
    ps2_rows = [r for r in rows if r["problem_set"] == PS2.id and r["exercise"]]
    assert [r["exercise"] for r in ps2_rows] == [ex.id for ex in PS2.exercises]
    assert all(r["score"] == r["max_score"] for r in ps2_rows)
    missing = {r["problem_set"] for r in rows if r["status"] == "missing"}
    assert missing == set(as_json["missing"])
    total = rows[-1]
    assert total["problem_set"] == "total" and float(total["score"]) == as_json["score"]
    assert float(total["max_score"]) == as_json["max_score"]


def test_course_text_report_names_missing_problem_sets(student, tmp_path):
    run = run_cli(tmp_path, "course", student, "--lang", "en")
    assert run.returncode == 0, run.stderr
    assert "not submitted" in run.stdout and "Syntax error" in run.stdout
    assert f"{PS2.points:g}/{PS2.points:g}" in run.stdout


def test_course_of_a_missing_folder_is_a_one_line_usage_error(tmp_path):
    run = run_cli(tmp_path, "course", tmp_path / "nobody")
    assert run.returncode != 0 and run.stdout == ""
    assert run.stderr.strip().count("\n") == 0 and "not a folder" in run.stderr
