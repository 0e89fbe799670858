"""ps4_processes: grading real processes leaves no process behind, and hangs end early.

Every ps4 example student whose code deadlocks or leaves children running is graded through
the real command line with ``TMPDIR`` pointing into this test's folder, so that every
process of that grading (check children, the student's processes, forkservers, resource
trackers) works in, or reports to, a folder below it. Once ``grade`` has returned, ``psutil``
must find none of them: no orphan, and no zombie left to this test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
CLASS = ROOT / "examples" / "class" / "submitted"
HANGING = ["mistake_consume_one_sentinel", "mistake_consume_no_task_done", "mistake_map_join_first",
           "mistake_map_unguarded", "mistake_consume_children_left", "mistake_map_not_joined"]


def _belongs(proc: psutil.Process, folder: str) -> bool:
    try:
        if proc.cwd().startswith(folder):
            return True
        env = proc.environ()
    except (psutil.Error, OSError):
        return False
    return any(value.startswith(folder) for key, value in env.items() if key in ("KIT_PROCTREE_DIR", "TMPDIR"))


@pytest.mark.parametrize("student", HANGING)
def test_no_process_left_after_grading(tmp_path, student):
    folder = str(tmp_path / "tmp")
    os.mkdir(folder)
    env = dict(os.environ, TMPDIR=folder)
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "ps4_processes",
                           str(CLASS / student / "ps4_processes" / "processes.ipynb"), "--format", "json"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["score"] < result["max_score"]
    left = [p for p in psutil.process_iter() if p.pid != os.getpid() and _belongs(p, folder)]
    assert not left, [(p.pid, p.name(), p.status()) for p in left]
    zombies = [p for p in psutil.Process().children(recursive=True) if p.status() == psutil.STATUS_ZOMBIE]
    assert not zombies


def test_deadlocks_end_early():
    """A deadlocked check ends long before its time limit (the detector, not the timeout)."""
    result = json.loads(subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "ps4_processes",
         str(CLASS / "mistake_consume_one_sentinel" / "ps4_processes" / "processes.ipynb"), "--format", "json"],
        capture_output=True, text=True, timeout=300, cwd=ROOT).stdout)
    hidden = [t for t in result["tests"] if t["exercise"] == "consume_all" and t["visibility"] == "hidden"]
    assert hidden and all("(a deadlock)" in t["message"]["en"] for t in hidden)
    assert all("one sentinel per consumer" in t["message"]["en"] for t in hidden)
