"""The same grade on every supported Python: the student's code runs under each installed
CPython 3.10–3.13 (``grade --python``), and every test's score and outcome must equal those
under the grader's own interpreter. Versions not installed here are skipped, by name.
"""

from __future__ import annotations

import glob
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder.catalog import PROBLEM_SETS
from tests.test_problemsets import grade_cli
from tests.test_stability import bundles

SUPPORTED = ("3.10", "3.11", "3.12", "3.13")


def find_python(version: str) -> str | None:
    if sys.version.startswith(version + "."):
        return sys.executable
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = sorted(glob.glob(f"{root}/versions/{version}.*/bin/python3"))
    return found[-1] if found else None


def outcomes(result: dict) -> list[tuple[str, float, str]]:
    return [(t["name"], t["score"], t["outcome"]) for t in result["tests"]]


@pytest.fixture(scope="module")
def graded_here(tmp_path_factory) -> dict[str, tuple[dict[str, Path], dict[str, dict]]]:
    """Per problem set: the submissions (reference and mistake bundles) and their grades here."""
    out = {}
    for ps_id in sorted(PROBLEM_SETS):
        folder = tmp_path_factory.mktemp(ps_id)
        paths = {}
        for name, (source, _) in bundles(ps_id).items():
            paths[name] = folder / f"{name}.py"
            paths[name].write_text(source, encoding="utf-8")
        with ThreadPoolExecutor(4) as pool:
            grades = list(pool.map(lambda p, ps_id=ps_id: grade_cli(ps_id, p), paths.values()))
        out[ps_id] = (paths, dict(zip(paths, grades, strict=True)))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("version", SUPPORTED)
@pytest.mark.parametrize("ps_id", sorted(PROBLEM_SETS))
def test_same_grade_on_every_python(graded_here, ps_id: str, version: str):
    python = find_python(version)
    if python is None:
        pytest.skip(f"Python {version} is not installed here")
    if python == sys.executable:
        pytest.skip(f"Python {version} is the grader's own: tests/test_stability.py covers it")
    paths, own = graded_here[ps_id]
    with ThreadPoolExecutor(4) as pool:
        other = dict(zip(paths, pool.map(lambda n: grade_cli(ps_id, paths[n], "--python", python), paths), strict=True))
    for name in paths:
        assert outcomes(other[name]) == outcomes(own[name]), f"{name} graded differently on Python {version}"
