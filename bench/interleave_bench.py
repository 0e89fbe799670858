"""How fast the deterministic checker (autograder.interleave) is. A benchmark, not a test.

Three figures, each the median of ``--runs`` repetitions:

1. **deadlock report**: the tutorial's opposite lock order (no sleeps) in ``run_both``,
   checked with ``explore``: wall time from the call until the check fails with the
   cycle named (in-process), and the whole ``grade`` command on that submission;
2. **ps2 reference grade**: ``python -m autograder grade ps2_locks <reference> --format gradescope``;
3. **checker overhead**: ``add_and_subtract(N)`` of the reference, plain (real threads,
   uninstrumented module) against one schedule and against all the schedules of a check.

    .venv/bin/python bench/interleave_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.catalog import get_problem_set  # noqa: E402
from autograder.checks import CheckFailed  # noqa: E402
from autograder.content import load_content  # noqa: E402
from autograder.interleave import SCHEDULES, explore  # noqa: E402
from autograder.interleave.loader import load_instrumented  # noqa: E402
from autograder.interleave.scheduler import run_scenario, strategy_from_spec  # noqa: E402

OPPOSITE_ORDER = '''
lock_1 = threading.Lock()
lock_2 = threading.Lock()


def func_1(work):
    with lock_1:
        with lock_2:
            work("func_1")


def func_2(work):
    with lock_2:
        with lock_1:
            work("func_2")


def run_both(work):
    t1 = threading.Thread(target=func_1, args=(work,))
    t2 = threading.Thread(target=func_2, args=(work,))
    t1.start()
    t2.start()
    t1.join()
    t2.join()
'''


def median(xs: list[float]) -> str:
    return f"median {statistics.median(xs):.4f} s (min {min(xs):.4f}, max {max(xs):.4f}, n={len(xs)})"


def cli_seconds(ps: str, path: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "grade", ps, str(path), "--format", "gradescope"],
                   check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ps = get_problem_set("ps2_locks")
    content = load_content(ps)
    tmp = Path(tempfile.mkdtemp(prefix="kit-bench-"))
    reference = tmp / "locks.py"
    reference.write_text(content.module_source(), encoding="utf-8")
    deadlocking = tmp / "locks_deadlock.py"
    deadlocking.write_text(content.module_source({"run_both": OPPOSITE_ORDER}), encoding="utf-8")

    # 1. deadlock report
    found = []
    message = ""
    for i in range(args.runs):
        mod = load_instrumented(f"locks_deadlock_{i}", str(deadlocking))
        start = time.perf_counter()
        try:
            explore(lambda mod=mod: mod.run_both(lambda name: None), lock_order=False)
        except CheckFailed as exc:
            message = exc.msg.en
        found.append(time.perf_counter() - start)
    print("1. deadlock report, in-process (explore until the cycle is named):", median(found))
    print("   message:", message.replace("\n", "\n            "))
    print("   whole grade command on that submission:",
          median([cli_seconds("ps2_locks", deadlocking) for _ in range(args.runs)]))

    # 2. the reference grade
    print("2. ps2 reference grade (CLI):", median([cli_seconds("ps2_locks", reference) for _ in range(args.runs)]))

    # 3. checker overhead on add_and_subtract
    n = 20
    spec = importlib.util.spec_from_file_location("locks_plain", reference)
    plain_mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plain_mod)
    plain = []
    for _ in range(args.runs):
        start = time.perf_counter()
        plain_mod.add_and_subtract(n)
        plain.append(time.perf_counter() - start)
    mod = load_instrumented("locks_sched", str(reference))
    one, every, steps = [], [], 0
    for _ in range(args.runs):
        start = time.perf_counter()
        run, _, _ = run_scenario(strategy_from_spec("random:1"), lambda: mod.add_and_subtract(n))
        one.append(time.perf_counter() - start)
        steps = run.steps
        start = time.perf_counter()
        explore(lambda: mod.add_and_subtract(n))
        every.append(time.perf_counter() - start)
    print(f"3. add_and_subtract({n}) plain, real threads:", median(plain))
    print(f"   one schedule ({steps} scheduling steps):", median(one),
          f"= {statistics.median(one) / max(steps, 1) * 1e6:.1f} µs per step")
    print(f"   all {len(SCHEDULES)} schedules of a check:", median(every))


if __name__ == "__main__":
    main()
