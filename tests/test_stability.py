"""The same submission gets the same grade every time, also while another process keeps a core busy.

Submissions: the reference solution and "bundles" holding one example mistake in
every exercise (bundle k takes each exercise's k-th mistake), so every mistake of
the problem set is graded in every round. Each round's full results (scores,
outcomes and messages; not wall time or the students' printed output) must equal
the first round's. ``KIT_STABILITY_ROUNDS`` sets the number of rounds (default 20).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder.catalog import PROBLEM_SETS
from autograder.content import load_content
from tests.test_problemsets import by_exercise, comparable, grade_cli

ROUNDS = int(os.environ.get("KIT_STABILITY_ROUNDS", "20"))


@pytest.fixture
def cpu_hog():
    """Another process spinning on one core for the whole test."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield hog
    hog.kill()
    hog.wait()


def bundles(ps_id: str) -> dict[str, tuple[str, set[str]]]:
    """name -> (module source, exercises that must lose points)."""
    ps = PROBLEM_SETS[ps_id]
    content = load_content(ps)
    out = {"reference": (content.module_source(), set())}
    depth = max(len(content.of_kind("mistake", ex.id)) for ex in ps.exercises)
    for k in range(depth):
        chosen = {ex.id: cells[k] for ex in ps.exercises if len(cells := content.of_kind("mistake", ex.id)) > k}
        overrides = {ex_id: cell.source for ex_id, cell in chosen.items()}
        breaks = set().union(*(cell.breaks for cell in chosen.values()))
        out[f"bundle{k}"] = (content.module_source(overrides), breaks)
    return out


@pytest.mark.parametrize("ps_id", sorted(PROBLEM_SETS))
def test_same_grade_every_round_under_load(tmp_path: Path, cpu_hog, ps_id: str):
    subs = bundles(ps_id)
    paths = {}
    for name, (source, _) in subs.items():
        paths[name] = tmp_path / f"{name}.py"
        paths[name].write_text(source, encoding="utf-8")
    first: dict[str, dict] = {}
    with ThreadPoolExecutor(4) as pool:
        for round_no in range(ROUNDS):
            results = dict(zip(paths, pool.map(lambda n: comparable(grade_cli(ps_id, paths[n])), paths), strict=True))
            assert cpu_hog.poll() is None, "the CPU hog stopped: the test no longer measures anything under load"
            for name, result in results.items():
                lost = {ex for ex, (score, max_score) in by_exercise(result).items() if score < max_score}
                assert lost == subs[name][1], f"round {round_no}: {name} lost points on {lost}"
                if round_no == 0:
                    first[name] = result
                else:
                    assert result == first[name], f"round {round_no}: {name} was graded differently"
