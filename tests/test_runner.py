"""The runner's own failures are never a student's: a check whose child the kit could not start
or read (a fork refused under load, say) is run once more, and the grade is complete and right."""

from __future__ import annotations

import threading

import pytest

from autograder import runner
from autograder.catalog import get_problem_set
from autograder.content import load_content

PS = get_problem_set("ps2_locks")


@pytest.fixture
def reference(tmp_path):
    path = tmp_path / "locks.py"
    path.write_text(load_content(PS).module_source(), encoding="utf-8")
    return path


def test_a_check_whose_child_could_not_run_is_run_again(reference, monkeypatch, capsys):
    real = runner.run_child
    failed: list[str] = []
    lock = threading.Lock()

    def flaky(spec, workdir, tag):
        with lock:
            first = spec["kind"] != "probe" and not failed
            if first:
                failed.append(tag)
        if first:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real(spec, workdir, tag)

    monkeypatch.setattr(runner, "run_child", flaky)
    result = runner.grade(PS.id, reference)
    assert failed, "the flaky run_child was never called for a check"
    assert result.score == result.max_score == sum(ex.points for ex in PS.exercises)
    assert all(t.outcome == "passed" for t in result.tests)
    err = capsys.readouterr().err
    assert "the check was run again" in err and "BlockingIOError" in err


def test_a_check_that_cannot_run_twice_is_the_kits_error_not_a_zero(reference, monkeypatch):
    real = runner.run_child

    def broken(spec, workdir, tag):
        if spec["kind"] == "hidden" and spec["target"].endswith(":test_account_one_thread"):
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real(spec, workdir, tag)

    monkeypatch.setattr(runner, "run_child", broken)
    with pytest.raises(runner.GraderInternalError, match="no result for"):
        runner.grade(PS.id, reference)
