"""How long ``python -m autograder grade`` takes: a benchmark, not a test.

Measures, with ``/usr/bin/time -f %e`` around the real command line, the median of N runs
(default 5) of grading

* the reference solution of a problem set, assembled from its content, and
* a submission in which every exercise hangs: every function body (methods included) is
  ``while True: time.sleep(1)``, built from the same content,

and prints a small table. Run from the repository root::

    .venv/bin/python bench/grade_times.py [--runs 5] [--problem-set ps1_threads] [--jobs N]
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.catalog import ProblemSet, get_problem_set  # noqa: E402
from autograder.content import load_content  # noqa: E402

TIME = "/usr/bin/time"


def reference_source(ps: ProblemSet) -> str:
    return load_content(ps).module_source()


def hanging_source(ps: ProblemSet) -> str:
    """The reference module with every function body replaced by an endless sleep loop."""
    tree = ast.parse(reference_source(ps))
    hang = ast.parse("while True:\n    time.sleep(1)").body
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.body = hang
    tree.body.insert(0, ast.parse("import time").body[0])
    return ast.unparse(tree) + "\n"


def time_grade(ps: ProblemSet, path: Path, jobs: int | None) -> tuple[float, float, float]:
    """Wall-clock seconds (as /usr/bin/time measures them), score and max score of one grading."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        cmd = [TIME, "-f", "%e", "-o", out.name, sys.executable, "-m", "autograder", "grade", ps.id,
               str(path), "--format", "gradescope"]
        if jobs:
            cmd += ["--jobs", str(jobs)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise SystemExit(f"grading {path.name} failed ({proc.returncode}): {proc.stderr.strip()}")
        seconds = float(Path(out.name).read_text().strip().splitlines()[-1])
    doc = json.loads(proc.stdout)
    return seconds, doc["score"], doc["max_score"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--problem-set", default="ps1_threads")
    parser.add_argument("--jobs", type=int, default=None, help="passed to grade --jobs (default: its own)")
    args = parser.parse_args()
    if not os.access(TIME, os.X_OK):
        raise SystemExit(f"{TIME} (GNU time) is needed")
    ps = get_problem_set(args.problem_set)
    cases = {"reference solution": reference_source(ps), "every exercise hangs": hanging_source(ps)}
    print(f"# {ps.id}, {args.runs} runs each, {datetime.date.today()}, {platform.node()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'submission':<22} {'median s':>9} {'min s':>7} {'max s':>7} {'score':>11}")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for name, source in cases.items():
            path = Path(tmp) / name.replace(" ", "_") / f"{ps.module}.py"
            path.parent.mkdir()
            path.write_text(source, encoding="utf-8")
            runs = [time_grade(ps, path, args.jobs) for _ in range(args.runs)]
            times = [r[0] for r in runs]
            scores = sorted({f"{r[1]:g}/{r[2]:g}" for r in runs})
            print(f"{name:<22} {statistics.median(times):>9.2f} {min(times):>7.2f} {max(times):>7.2f} "
                  f"{','.join(scores):>11}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
