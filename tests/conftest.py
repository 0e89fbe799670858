"""Shared fixtures: submissions built from the problem set's own content, and runs of the real CLI
that also report what a run left behind (processes, temporary folders)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from autograder.catalog import get_problem_set
from autograder.content import load_content

KIT_ROOT = Path(__file__).resolve().parent.parent
MARK = "KIT_TEST_MARK"  # environment variable inherited by everything a run starts


def ps1_source(overrides: dict[str, str] | None = None) -> str:
    """The ps1 reference module assembled from content, with some exercises' code replaced."""
    return load_content(get_problem_set("ps1_threads")).module_source(overrides)


def leftovers(mark: str, *needles: str) -> list[str]:
    """Living processes (not zombies) carrying ``mark`` in their environment or a needle in their command."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        try:
            if proc.pid == os.getpid() or proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            cmd = " ".join(proc.info["cmdline"] or [])
            if any(n and n in cmd for n in needles) or proc.environ().get(MARK) == mark:
                found.append(f"{proc.pid}: {cmd}")
        except (psutil.Error, OSError):
            continue
    return found


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str
    left_processes: list[str] = field(default_factory=list)
    left_dirs: list[str] = field(default_factory=list)

    def json(self) -> dict:
        return json.loads(self.stdout)  # the whole of stdout must be one JSON document


def run_cli(tmp: Path, *args: str | Path) -> CliRun:
    """Run ``python -m autograder *args`` with ``tmp`` as its temp folder and a fresh marker."""
    tmp.mkdir(parents=True, exist_ok=True)
    mark = uuid.uuid4().hex
    env = dict(os.environ, TMPDIR=str(tmp), **{MARK: mark})
    proc = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=KIT_ROOT, stdin=subprocess.DEVNULL, timeout=300)
    needles = [str(tmp)] + [str(a) for a in args if isinstance(a, Path)]
    return CliRun(proc.returncode, proc.stdout, proc.stderr, leftovers(mark, *needles),
                  sorted(p.name for p in tmp.iterdir() if p.name.startswith("kit-")))


@pytest.fixture
def cli(tmp_path: Path):
    """``cli(*args)``: :func:`run_cli` with a temp folder of this test's own."""
    return lambda *args: run_cli(tmp_path / "cli-tmp", *args)
