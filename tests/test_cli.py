"""The command line (COURSE.md, "The grader's command line (contract)"): formats, languages,
exit codes, and the one-line usage errors. Submissions that fail to import keep it fast."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from autograder.catalog import PROBLEM_SETS, get_problem_set
from autograder.results import GradeResult

try:  # tests/ may or may not be a package
    from tests.conftest import KIT_ROOT, ps1_source, run_cli
except ImportError:  # pragma: no cover
    from conftest import KIT_ROOT, ps1_source, run_cli

PS = get_problem_set("ps1_threads")


@pytest.fixture
def broken(tmp_path):
    """A submission that cannot be imported: grading it runs one child only."""
    path = tmp_path / "my threads.py"  # any file name, spaces included
    path.write_text("def greet_all(names, greet:\n    pass\n", encoding="utf-8")
    return path


def test_list_names_every_problem_set_and_exercise():
    out = subprocess.run([sys.executable, "-m", "autograder", "list"], capture_output=True, text=True,
                         cwd=KIT_ROOT, check=True).stdout
    for ps in PROBLEM_SETS.values():
        line = next(line for line in out.splitlines() if line.startswith(ps.id))
        assert f"({ps.module}.py)" in line
        for ex in ps.exercises:
            assert f"{ps.short}.{ex.id}" in line


def test_gradescope_document_shape(broken, tmp_path):
    run = run_cli(tmp_path / "tmp", "grade", "ps1", broken, "--format", "gradescope", "--lang", "en")
    assert run.returncode == 0 and run.stderr == ""
    doc = run.json()
    assert set(doc) >= {"score", "max_score", "execution_time", "tests"}
    assert doc["score"] == 0 and doc["max_score"] == sum(t["max_score"] for t in doc["tests"]) > 0
    assert isinstance(doc["execution_time"], (int, float)) and doc["execution_time"] >= 0
    ids = {ex.id for ex in PS.exercises}
    for t in doc["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output"}
        assert t["name"].startswith(f"{PS.short}.") and t["name"].split(":")[0][len(PS.short) + 1:] in ids
        assert t["status"] == "failed" and "Syntax error (my threads.py, line 1)" in t["output"]
    assert {t["name"].split(":")[0] for t in doc["tests"]} == {f"{PS.short}.{i}" for i in ids}
    assert run.left_processes == [] and run.left_dirs == []


def test_json_format_holds_both_languages_and_round_trips(broken, tmp_path):
    run = run_cli(tmp_path / "tmp", "grade", PS.id, broken, "--format", "json")
    assert run.returncode == 0 and run.stderr == ""
    doc = run.json()
    assert doc["problem_set"] == PS.id and doc["submission"] == "my threads.py"
    for t in doc["tests"]:
        assert "语法错误" in t["message"]["zh"] and "Syntax error" in t["message"]["en"]
    assert GradeResult.from_dict(doc).to_dict() == doc


@pytest.mark.parametrize(("lang", "words"), [("en", "Total"), ("zh", "总分")])
def test_text_format_for_people(broken, tmp_path, lang, words):
    run = run_cli(tmp_path / "tmp", "grade", PS.id, broken, "--lang", lang)
    assert run.returncode == 0 and run.stderr == ""
    assert words in run.stdout
    for ex in PS.exercises:
        assert f"{PS.short}.{ex.id}" in run.stdout


def test_language_defaults_to_kit_lang(broken, tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_LANG", "zh")
    run = run_cli(tmp_path / "tmp", "grade", PS.id, broken, "--format", "gradescope")
    assert "语法错误" in run.json()["tests"][0]["output"]


def test_check_runs_only_the_visible_tests(tmp_path):
    path = tmp_path / "threads.py"
    path.write_text(ps1_source(), encoding="utf-8")
    run = run_cli(tmp_path / "tmp", "check", PS.id, path, "--lang", "en")
    assert run.returncode == 0 and run.stderr == ""
    assert "Everything passed" in run.stdout
    assert run.left_processes == [] and run.left_dirs == []


@pytest.mark.parametrize("args", [
    ("grade", "ps9_nothing", "{sub}"),
    ("grade", "ps1_threads", "{missing}"),
    ("grade", "ps1_threads", "{fifo}"),  # not a regular file: reading it would block forever
    ("check", "nope", "{sub}"),
])
def test_usage_errors_exit_nonzero_with_one_line_on_stderr(args, tmp_path):
    sub = tmp_path / "threads.py"
    sub.write_text(ps1_source(), encoding="utf-8")
    os.mkfifo(tmp_path / "threads_fifo.py")
    argv = [a.format(sub=sub, missing=tmp_path / "nope.py", fifo=tmp_path / "threads_fifo.py") for a in args]
    run = run_cli(tmp_path / "tmp", *argv)
    assert run.returncode != 0
    assert run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert run.stderr.startswith("autograder: error: ")
    assert run.left_dirs == []


def test_missing_arguments_are_a_usage_error(tmp_path):
    run = run_cli(tmp_path / "tmp", "grade", PS.id)
    assert run.returncode == 2 and run.stdout == ""
    assert "error:" in run.stderr


def test_gradescope_json_is_the_only_thing_on_stdout_even_when_the_student_prints(tmp_path):
    path = tmp_path / "threads.py"
    path.write_text('print("{not json")\nimport sys\nprint("to stderr", file=sys.stderr)\nraise SystemExit(1)\n',
                    encoding="utf-8")
    run = run_cli(tmp_path / "tmp", "grade", PS.id, path, "--format", "gradescope")
    assert run.returncode == 0 and run.stderr == ""
    doc = json.loads(run.stdout)
    assert "{not json" in doc["tests"][0]["output"]  # shown to the student, inside the document


def test_relative_python_path_is_resolved(tmp_path, broken):
    """``--python`` relative to the current folder still works: children run in a temp folder."""
    relative = os.path.relpath(sys.executable, KIT_ROOT)
    run = run_cli(tmp_path, "grade", PS.id, broken, "--python", relative, "--format", "json")
    assert run.returncode == 0, run.stderr
    result = GradeResult.from_dict(json.loads(run.stdout))
    assert all(t.outcome == "import_error" or t.score == 0 for t in result.tests)
    assert "Syntax error" in result.tests[0].message.en


def test_grading_never_imports_the_problem_set_content_in_the_grader(tmp_path):
    """content.py holds the reference solution and the visible test cells in one file: imported as a
    module it would run them (threads, processes) inside the grader. Its cells are collected, not run."""
    ps = get_problem_set("ps2_locks")
    code = ("import sys\nfrom autograder.runner import grade\n"
            f"r = grade({ps.id!r}, sys.argv[1])\n"
            "leaked = [m for m, mod in sys.modules.items() if getattr(mod, '__file__', '') "
            "and mod.__file__.endswith('content.py') and 'problemsets' in mod.__file__]\n"
            "print(r.score, r.max_score, leaked)\n")
    out = subprocess.run([sys.executable, "-c", code, str(KIT_ROOT / "solutions" / ps.id / f"{ps.module}.py")],
                         capture_output=True, text=True, cwd=KIT_ROOT, timeout=300, check=True).stdout
    score, max_score, leaked = out.split(" ", 2)
    assert score == max_score and leaked.strip() == "[]"
