"""Same grade, every round, every Python, under load: the full matrix, for release notes.

    .venv/bin/python bench/stability_matrix.py --rounds 20 ps2_locks ps5_executors

The test suite grades every bundle 20 times under the grader's own Python
(``tests/test_stability.py``) and once under each other installed CPython
(``tests/test_pythons.py``). This runs the product of the two: for each problem set,
each installed CPython 3.10–3.13 (``grade --python``) and each submission (the
reference solution and the bundles holding every example mistake), ``--rounds``
gradings while another process keeps one core busy. It prints, per problem set and
Python, how many gradings there were, how many differed from the first round, and
how many lost points anywhere but on the exercises their mistakes belong to. Both
must be 0. Not a test: it takes minutes per problem set.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.catalog import PROBLEM_SETS  # noqa: E402
from tests.test_problemsets import by_exercise, comparable, grade_cli  # noqa: E402
from tests.test_pythons import SUPPORTED, find_python  # noqa: E402
from tests.test_stability import bundles  # noqa: E402


def matrix(ps_id: str, rounds: int, jobs: int) -> list[tuple[str, int, int, int, float]]:
    """(python version, gradings, differing from round 0, wrong exercises, seconds) per version."""
    rows = []
    subs = bundles(ps_id)
    with TemporaryDirectory() as tmp:
        paths = {}
        for name, (source, _) in subs.items():
            paths[name] = Path(tmp) / f"{name}.py"
            paths[name].write_text(source, encoding="utf-8")
        for version in SUPPORTED:
            python = find_python(version)
            if python is None:
                print(f"  {version}: not installed, skipped", flush=True)
                continue
            extra = () if python == sys.executable else ("--python", python)
            first: dict[str, dict] = {}
            differing = wrong = total = 0
            started = time.monotonic()
            with ThreadPoolExecutor(jobs) as pool:
                for round_no in range(rounds):
                    results = dict(zip(paths, pool.map(lambda n, extra=extra: comparable(grade_cli(ps_id, paths[n], *extra)),
                                                       paths), strict=True))
                    for name, result in results.items():
                        total += 1
                        lost = {ex for ex, (s, m) in by_exercise(result).items() if s < m}
                        wrong += lost != subs[name][1]
                        if round_no == 0:
                            first[name] = result
                        else:
                            differing += result != first[name]
            rows.append((version, total, differing, wrong, time.monotonic() - started))
            print(f"  {version}: {total} gradings, {differing} differing, {wrong} wrong exercises, "
                  f"{rows[-1][4]:.0f} s", flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problem_sets", nargs="*", default=sorted(PROBLEM_SETS))
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=4, help="gradings at once")
    parser.add_argument("--no-load", action="store_true", help="do not keep a core busy")
    args = parser.parse_args()
    hog = None if args.no_load else subprocess.Popen([sys.executable, "-c", "while True: pass"])
    bad = 0
    try:
        for ps_id in args.problem_sets:
            print(f"{ps_id}: {len(bundles(ps_id))} submissions x {args.rounds} rounds"
                  f"{'' if hog is None else ', one core kept busy'}", flush=True)
            for _, _, differing, wrong, _ in matrix(ps_id, args.rounds, args.jobs):
                bad += differing + wrong
            if hog is not None and hog.poll() is not None:
                print("the CPU hog stopped: figures are not under load", flush=True)
                return 1
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
