"""The grader's contract for untrusted input (COURSE.md, "The grader's command line").

Whatever a submission holds, ``grade --format gradescope`` prints exactly one JSON document,
exits 0, reports every exercise with the reference solution's ``max_score``, fails each test
with a reason in the language asked for, never shows the grader's own traceback, and leaves
no process and no ``kit-*`` temp folder behind.

Submissions are built from the problem set's content (the reference solution, with some
exercises' code replaced), so these tests stay valid as ps1 grows. Cases that hang run
in-process through :func:`autograder.runner.grade` with small time limits; the rest run through
the real command line.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder import child, runner
from autograder.catalog import get_problem_set
from autograder.content import load_content

try:  # tests/ may or may not be a package
    from tests.conftest import MARK, leftovers, ps1_source, run_cli
except ImportError:  # pragma: no cover
    from conftest import MARK, leftovers, ps1_source, run_cli

PS = get_problem_set("ps1_threads")
VICTIM = "greet_all"  # the exercise whose code the per-function cases break (a contract name)
GRADER_TRACES = ("Traceback (most recent call last)", "autograder/", "site-packages", "child.py", "runner.py")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Ignores SIGTERM, says it has started by creating the file named by its first argument, sleeps.
STUBBORN = ("import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "open(sys.argv[1], 'a').close(); time.sleep(1000)")


def spawner(folder: Path) -> str:
    """Code starting three stubborn processes and returning once all run: a plain child, and
    a double-forked daemon in a session of its own, with its environment and with none.
    Their command lines name ``folder``, where each says it has started."""
    return f"""
import os as _os, subprocess as _subprocess, sys as _sys, time as _time
def _spawn_stubborn():
    started = [_os.path.join({str(folder)!r}, name) for name in ("popen", "daemon", "bare-daemon")]
    _subprocess.Popen([_sys.executable, "-c", {STUBBORN!r}, started[0]])
    for path, env in ((started[1], dict(_os.environ)), (started[2], {{}})):
        if _os.fork() == 0:
            _os.setsid()
            if _os.fork() == 0:
                _os.execve(_sys.executable, [_sys.executable, "-c", {STUBBORN!r}, path], env)
            _os._exit(0)
        _os.wait()
    while not all(_os.path.exists(p) for p in started):
        _time.sleep(0.01)
"""


def exercise_of(test_name: str) -> str:
    return test_name.split(":", 1)[0].split(".", 1)[1]


def max_scores(doc: dict) -> dict[str, float]:
    totals: dict[str, float] = {}
    for t in doc["tests"]:
        totals[exercise_of(t["name"])] = totals.get(exercise_of(t["name"]), 0.0) + t["max_score"]
    return totals


def only(exercise: str, body: str) -> str:
    """A module defining only ``exercise`` (every body replaced): the other exercises are missing."""
    others = {ex.id: "" for ex in PS.exercises if ex.id != exercise}
    tree = ast.parse(load_content(PS).code("solution", exercise))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.body = ast.parse(body).body
    return load_content(PS).module_source(dict(others, **{exercise: ast.unparse(tree)}))


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """The reference solution's Gradescope report (English)."""
    path = tmp_path_factory.mktemp("reference") / "threads.py"
    path.write_text(ps1_source(), encoding="utf-8")
    run = run_cli(path.parent / "tmp", "grade", PS.id, path, "--format", "gradescope", "--lang", "en")
    assert run.returncode == 0, run.stderr
    doc = run.json()
    assert doc["score"] == doc["max_score"] > 0, "the reference solution must get full marks"
    assert {exercise_of(t["name"]) for t in doc["tests"]} == {ex.id for ex in PS.exercises}
    return doc


def check_report(doc: dict, reference: dict, lang: str, *, failing: set[str], reason: str | None,
                 passing_like_reference: bool = True) -> None:
    """The report's shape against the reference's, and a reason in ``lang`` for every failure."""
    assert [(t["name"], t["max_score"]) for t in doc["tests"]] == \
        [(t["name"], t["max_score"]) for t in reference["tests"]]
    assert max_scores(doc) == max_scores(reference)
    assert doc["max_score"] == reference["max_score"]
    assert doc["score"] == sum(t["score"] for t in doc["tests"])
    assert isinstance(doc["execution_time"], (int, float))
    for t in doc["tests"]:
        ex = exercise_of(t["name"])
        assert t["status"] == ("passed" if t["score"] >= t["max_score"] else "failed")
        for trace in GRADER_TRACES:
            assert trace not in t["output"], (t["name"], t["output"])
        if ex in failing:
            assert t["status"] == "failed" and t["score"] == 0, t
            assert t["output"].strip() and t["output"] not in ("Passed", "通过"), t
            if reason is not None:
                assert reason in t["output"], (t["name"], t["output"])
            if lang == "zh":
                assert CJK.search(t["output"]), t["output"]
        elif passing_like_reference:
            assert t["status"] == "passed", (t["name"], t["output"])


def check_clean(run) -> None:
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    for trace in GRADER_TRACES[:1]:
        assert trace not in run.stdout
    assert run.left_processes == []
    assert run.left_dirs == []


ALL = {ex.id for ex in PS.exercises}


def _write(tmp: Path, name: str, data: bytes | str) -> Path:
    path = tmp / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def _notebook(cells: list, **meta) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata.update(meta)
    return nbformat.writes(nb).encode("utf-8")


def _reference_cells() -> list:
    """The reference module as one code cell per top-level statement group, markdown between."""
    source = ps1_source()
    blocks = [b for b in source.split("\n\n\n") if b.strip()]
    cells = [nbformat.v4.new_markdown_cell("# 作业 / Homework")]
    for block in blocks:
        cells.append(nbformat.v4.new_code_cell(block))
    return cells


# Each case: (make submission in tmp folder, failing exercises, reason per language {lang: text}).
# A reason of None only asks for a non-empty, non-"Passed" output.
SYNTAX_LINE = ps1_source().count("\n") + 2


def case_syntax(tmp):
    return _write(tmp, "threads.py", ps1_source() + "\ndef broken(:\n    pass\n")


def case_nul(tmp):
    return _write(tmp, "threads.py", b"import threading\n\x00\n" + ps1_source().encode())


def case_empty(tmp):
    return _write(tmp, "threads.py", b"")


def case_missing(tmp):
    return _write(tmp, "threads.py", ps1_source({VICTIM: ""}))


def case_sys_exit(tmp):
    return _write(tmp, "threads.py", ps1_source() + "\nimport sys\nsys.exit(2)\n")


def case_os_exit(tmp):
    return _write(tmp, "threads.py", ps1_source() + "\nimport os\nos._exit(3)\n")


def case_os_exit_in_function(tmp):
    return _write(tmp, "threads.py", only(VICTIM, "__import__('os')._exit(3)"))


def case_stdin(tmp):
    return _write(tmp, "threads.py", ps1_source() + "\nanswer = input('name? ')\n")


def case_flood_at_import(tmp):
    return _write(tmp, "threads.py", ps1_source() + "\nwhile True:\n    print('spam' * 2500)\n")


def case_gbk_without_cookie(tmp):
    return _write(tmp, "threads.py", ("# 多线程作业\n" + ps1_source()).encode("gbk"))


def case_not_json(tmp):
    return _write(tmp, "threads.ipynb", b'{"cells": [ this is not json')


def case_not_nbformat4(tmp):
    return _write(tmp, "threads.ipynb", json.dumps({"hello": "world", "cells": "none"}).encode())


# Cases that never run a check against working code (the import fails, or only the broken
# exercise is defined): nothing in them depends on timing, so they run side by side.
CASES = {
    # name: (maker, failing, {lang: reason})
    "syntax_error": (case_syntax, ALL, {"en": f"Syntax error (threads.py, line {SYNTAX_LINE})",
                                        "zh": f"语法错误（threads.py 第 {SYNTAX_LINE} 行）"}),
    "nul_bytes": (case_nul, ALL, {"en": "NUL byte", "zh": "空字节"}),
    "empty_file": (case_empty, ALL, {"en": "does not define", "zh": "没有定义"}),
    "sys_exit_at_import": (case_sys_exit, ALL, {"en": "called sys.exit(2) while being imported",
                                                "zh": "导入你的模块时调用了 sys.exit(2)"}),
    "os_exit_at_import": (case_os_exit, ALL, {"en": "exited with code 3", "zh": "退出码 3"}),
    # only the broken exercise is defined; the others fail as missing (not checked here)
    "os_exit_in_function": (case_os_exit_in_function, {VICTIM}, {"en": "did it call os._exit()?",
                                                                 "zh": "是不是调用了 os._exit()"}),
    "stdin_at_import": (case_stdin, ALL, {"en": "EOFError", "zh": "EOFError"}),
    "flood_at_import": (case_flood_at_import, ALL, {"en": "printed too much", "zh": "输出太多"}),
    "gbk_without_cookie": (case_gbk_without_cookie, ALL, {"en": "Save the file as UTF-8",
                                                          "zh": "请用 UTF-8 编码保存文件"}),
    "notebook_not_json": (case_not_json, ALL, {"en": "is not a valid Jupyter notebook (nbformat 4)",
                                               "zh": "不是有效的 Jupyter 笔记本"}),
    "notebook_not_nbformat4": (case_not_nbformat4, ALL, {"en": "is not a valid Jupyter notebook (nbformat 4)",
                                                         "zh": "不是有效的 Jupyter 笔记本"}),
}


LANGS = ("en", "zh")


@pytest.fixture(scope="module")
def broken_runs(tmp_path_factory) -> dict:
    """Every (case, language) of CASES graded through the CLI, four at a time."""
    base = tmp_path_factory.mktemp("broken")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {}
        for case, (make, _, _) in CASES.items():
            for lang in LANGS:
                folder = base / f"{case}-{lang}"
                folder.mkdir()
                path = make(folder)
                futures[case, lang] = pool.submit(run_cli, folder / "tmp", "grade", PS.id, path,
                                                  "--format", "gradescope", "--lang", lang)
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_submission_through_cli(case, lang, broken_runs, reference):
    _, failing, reasons = CASES[case]
    run = broken_runs[case, lang]
    check_clean(run)
    check_report(run.json(), reference, lang, failing=failing, reason=reasons[lang],
                 passing_like_reference=False)


def test_output_flood_is_capped_in_the_report(broken_runs):
    for lang in LANGS:
        for t in broken_runs["flood_at_import", lang].json()["tests"]:
            assert len(t["output"].encode()) < 8 * 1024
            assert "spamspam" in t["output"]  # what it printed is shown, capped


@pytest.mark.parametrize("lang", LANGS)
def test_missing_function_loses_only_its_exercise(lang, tmp_path, reference):
    path = case_missing(tmp_path)
    run = run_cli(tmp_path / "tmp", "grade", PS.id, path, "--format", "gradescope", "--lang", lang)
    check_clean(run)
    reason = {"en": f"does not define {VICTIM}", "zh": f"没有定义 {VICTIM}"}[lang]
    check_report(run.json(), reference, lang, failing={VICTIM}, reason=reason)


# ----------------------------------------------------------------- graded normally

def graded_like_reference(run, reference, lang="en") -> dict:
    check_clean(run)
    doc = run.json()
    check_report(doc, reference, lang, failing=set(), reason=None)
    assert doc["score"] == reference["score"]
    return doc


def test_gbk_with_coding_cookie_is_graded_normally(tmp_path, reference):
    path = _write(tmp_path, "threads.py", ("# -*- coding: gbk -*-\n# 多线程作业\n" + ps1_source()).encode("gbk"))
    graded_like_reference(run_cli(tmp_path / "tmp", "grade", PS.id, path, "--format", "gradescope"), reference)


def test_notebook_without_nbgrader_metadata_grades_every_code_cell(tmp_path, reference):
    path = _write(tmp_path, "threads.ipynb", _notebook(_reference_cells()))
    graded_like_reference(run_cli(tmp_path / "tmp", "grade", PS.id, path, "--format", "gradescope"), reference)


def test_notebook_magics_and_shell_lines_never_run(tmp_path, reference):
    ran = tmp_path / "ran"
    cells = _reference_cells()
    cells.insert(1, nbformat.v4.new_code_cell(f"%timeit sum(range(10))\n!touch {ran}-bang\nfiles = !ls\n"
                                              f"%system touch {ran}-system"))
    cells.insert(3, nbformat.v4.new_code_cell(f"%%bash\ntouch {ran}-bash"))
    cells.append(nbformat.v4.new_code_cell("x = 1\n%time x\nprint(\n    'a %s'\n    % 'b')"))
    path = _write(tmp_path, "threads.ipynb", _notebook(cells))
    run = run_cli(tmp_path / "tmp", "grade", PS.id, path, "--format", "gradescope", "--lang", "en")
    doc = graded_like_reference(run, reference)
    assert not list(tmp_path.glob("ran-*")), "a magic or shell line was executed"
    assert "cell magic (%%) and was not graded" in doc["output"]


def test_folder_with_py_and_notebook_grades_the_py(tmp_path, reference):
    folder = tmp_path / "submission"
    folder.mkdir()
    _write(folder, "threads.py", ps1_source())
    _write(folder, "threads.ipynb", b"not even json")
    run = run_cli(tmp_path / "tmp", "grade", PS.id, folder, "--format", "gradescope", "--lang", "zh")
    doc = graded_like_reference(run, reference, "zh")
    assert "同时有 threads.py 和 threads.ipynb：评分的是 .py 文件" in doc["output"]


def test_stubborn_processes_started_at_import_are_killed(tmp_path, reference):
    """A child ignoring SIGTERM, and a double-forked daemon in a session of its own (with its
    environment inherited, and with a cleared one), all started while importing."""
    path = tmp_path / "threads.py"
    started = tmp_path / "tmp" / "started"  # under the CLI's temp folder: leftovers() looks for it
    started.mkdir(parents=True)
    path.write_text(ps1_source() + spawner(started) + "_spawn_stubborn()\n", encoding="utf-8")
    graded_like_reference(run_cli(tmp_path / "tmp", "grade", PS.id, path, "--format", "gradescope"), reference)
    assert sorted(p.name for p in started.iterdir()) == ["bare-daemon", "daemon", "popen"]


# ----------------------------------------------------------------- hangs, in-process with small limits

@pytest.fixture
def graded(tmp_path, monkeypatch):
    """``graded(source, **limits)`` grades in this process with a private temp folder and marker,
    and checks that nothing is left behind; returns (result, the run_child calls made)."""
    mark = f"inproc-{os.getpid()}-{tmp_path.name}"
    monkeypatch.setenv(MARK, mark)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    calls = []
    real = runner.run_child

    def counting(spec, workdir, tag):
        run = real(spec, workdir, tag)
        sizes = {p.name: p.stat().st_size for p in workdir.iterdir() if p.name.startswith(tag)}
        calls.append((tag, run, sizes))
        return run

    monkeypatch.setattr(runner, "run_child", counting)

    def grade(source: str, name="threads.py", **limits):
        path = tmp_path / "submission" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(source, encoding="utf-8")
        result = runner.grade(PS.id, path, **limits)
        assert leftovers(mark, str(path), str(tmp_path)) == []
        assert not list(tmp_path.glob("kit-*"))
        return result, calls

    return grade


def reports(result, reference) -> dict[str, dict]:
    docs = {lang: result.to_gradescope_dict(lang) for lang in ("en", "zh")}
    for doc in docs.values():
        json.dumps(doc)  # serialisable
    return docs


def test_infinite_loop_at_import_costs_one_import_limit(graded, reference):
    result, calls = graded(ps1_source() + "\nwhile True:\n    pass\n", import_timeout=1, check_timeout=1)
    assert [tag for tag, _, _ in calls] == ["probe"], "a hung import must be tried once, not per check"
    lines = ps1_source().count("\n") + 2, ps1_source().count("\n") + 3  # while True: / pass
    docs = reports(result, reference)
    check_report(docs["en"], reference, "en", failing=ALL, reason="did not finish within 1 s")
    check_report(docs["zh"], reference, "zh", failing=ALL, reason="1 秒还没有完成")
    out = docs["en"]["tests"][0]["output"]
    assert any(f"threads.py, line {n}, in <module>()" in out for n in lines), out


def test_gil_holding_call_at_import_is_ended_by_the_hard_limit(graded, reference):
    source = ps1_source() + "\ntotal = sum(range(10 ** 12))\n"
    result, calls = graded(source, import_timeout=1, check_timeout=1)
    assert len(calls) == 1 and calls[0][1].killed
    docs = reports(result, reference)
    line = source.count("\n")
    check_report(docs["en"], reference, "en", failing=ALL, reason="Timed out after 1 s")
    check_report(docs["zh"], reference, "zh", failing=ALL, reason="超时")
    out = docs["en"]["tests"][0]["output"]
    assert f"threads.py, line {line}, in <module>(): total = sum(range(10 ** 12))" in out


def test_gil_holding_call_in_a_function_times_out(graded, reference):
    result, calls = graded(only(VICTIM, "sum(range(10 ** 12))"), import_timeout=2, check_timeout=0.5, jobs=8)
    assert calls and all(run.killed for tag, run, _ in calls if tag != "probe")
    docs = reports(result, reference)
    check_report(docs["en"], reference, "en", failing=ALL, reason=None, passing_like_reference=False)
    victims = [t for t in result.tests if t.exercise == VICTIM]
    assert victims and all(t.outcome == "timeout" for t in victims)
    for t in (t for t in docs["en"]["tests"] if exercise_of(t["name"]) == VICTIM):
        assert "Timed out after 0.5 s" in t["output"]
        assert "sum(range(10 ** 12))" in t["output"]  # where: the student's line and code


def test_hang_in_a_function_names_the_students_line(graded, reference):
    result, calls = graded(only(VICTIM, "while True:\n    __import__('time').sleep(1)"),
                           import_timeout=2, check_timeout=0.5)
    docs = reports(result, reference)
    check_report(docs["en"], reference, "en", failing=ALL, reason=None, passing_like_reference=False)
    check_report(docs["zh"], reference, "zh", failing=ALL, reason=None, passing_like_reference=False)
    for t in (t for t in docs["en"]["tests"] if exercise_of(t["name"]) == VICTIM):
        assert "__import__('time').sleep(1)" in t["output"], t["output"]
        assert "threads.py, line" in t["output"]


def test_printing_100_mb_in_a_function_is_stopped_and_capped(graded, reference):
    body = "for _ in range(10_000):\n    print('x' * 10_000)"
    result, calls = graded(only(VICTIM, body), import_timeout=2, check_timeout=5)
    docs = reports(result, reference)
    check_report(docs["en"], reference, "en", failing=ALL, reason=None, passing_like_reference=False)
    victims = [t for t in docs["en"]["tests"] if exercise_of(t["name"]) == VICTIM]
    for t in victims:
        assert "printed too much" in t["output"]
        assert len(t["output"].encode()) < 8 * 1024
    for t in (t for t in docs["zh"]["tests"] if exercise_of(t["name"]) == VICTIM):
        assert "输出太多" in t["output"]
    for _tag, _run, sizes in calls:
        assert all(size <= child.OUTPUT_LIMIT for size in sizes.values()), sizes


def test_stubborn_processes_started_in_a_function_are_killed(graded, reference, tmp_path):
    started = tmp_path / "started"
    started.mkdir()
    source = only(VICTIM, "_spawn_stubborn()") + spawner(started)
    result, calls = graded(source, import_timeout=2, check_timeout=2)  # and nothing is left: see graded
    assert len(calls) > 1
    assert sorted(p.name for p in started.iterdir()) == ["bare-daemon", "daemon", "popen"]


def test_stdin_is_empty_in_a_function(graded, reference):
    result, _ = graded(only(VICTIM, "input()"), import_timeout=2, check_timeout=2)
    for t in result.tests:
        if t.exercise == VICTIM:
            assert "EOFError" in t.message.en, t.message.en


if sys.platform != "linux":  # pragma: no cover
    pytestmark = pytest.mark.skip("the sandbox is Linux-only")


# ----------------------------------------------------------------- reading submissions (unit)

def test_magics_are_recognised_only_where_a_statement_starts():
    from autograder.submission import strip_magics

    source = ("%timeit f()\n!ls -l\nfiles = !ls\nthreading.Thread?\n"
              "msg = ('hello %s'\n       % name)\ntext = '''\n!not a shell line\n'''\n"
              "def f():\n    %time g()\nx = 10 % 3\ny = a \\\n  % b\n")
    out = strip_magics(source).split("\n")
    assert len(out) == len(source.split("\n")), "line numbers are kept"
    assert [line.strip().startswith("pass  # [kit] not run:") for line in out[:4]] == [True] * 4
    assert out[5] == "       % name)" and out[7] == "!not a shell line"
    assert out[10] == "    pass  # [kit] not run: %time g()"
    assert out[11] == "x = 10 % 3" and out[13] == "  % b"
    compile(strip_magics(source), "<nb>", "exec")


def test_submission_reading_limits(tmp_path, monkeypatch):
    from autograder import submission

    path = tmp_path / "threads.py"
    path.write_bytes(b"x = 1\n" * 10)
    monkeypatch.setattr(submission, "MAX_BYTES", 32)
    sub = submission.load_submission(path, PS, {})
    assert sub.problem is not None and "too large" in sub.problem.en and "太大" in sub.problem.zh
    monkeypatch.undo()
    bom = tmp_path / "bom.ipynb"
    bom.write_bytes(b"\xef\xbb\xbf" + _notebook([nbformat.v4.new_code_cell("x = 1")]))
    assert submission.load_submission(bom, PS, {}).problem is None
    with pytest.raises(submission.SubmissionError):
        submission.load_submission(tmp_path / "nothing.py", PS, {})
