"""The interleave checker's own tests: it must catch every forced race and deadlock, never fail a
correct program, explain what it found, and be deterministic (the same trace on every run and on
every installed CPython 3.10–3.13).

Each test writes a small student module into ``tmp_path`` and imports it with
:func:`autograder.interleave.loader.load_instrumented` under a module name of its own. Nothing here
depends on luck or on timing: every run is a fixed schedule, and time inside a run is virtual.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import textwrap
import threading
import traceback
from pathlib import Path
from typing import Any

import pytest

from autograder.checks import CheckFailed
from autograder.i18n import Msg
from autograder.interleave import SCHEDULES, Outcome, explain, explore, in_threads
from autograder.interleave.loader import load_instrumented
from autograder.interleave.scheduler import run_scenario, strategy_from_spec

KIT_ROOT = Path(__file__).resolve().parent.parent
N = 20
_names = itertools.count()


def load(tmp_path: Path, source: str, stem: str = "stu") -> Any:
    """Write ``source`` as a student module into ``tmp_path`` and import it instrumented."""
    name = f"ilv_{stem}_{next(_names)}_{re.sub(r'[^0-9A-Za-z_]', '_', tmp_path.name)}"
    path = tmp_path / f"{stem}.py"
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return load_instrumented(name, str(path))


def lineno(module: Any, text: str, nth: int = 1) -> int:
    """The line number of the ``nth`` line of the student's file containing ``text``."""
    lines = Path(module.__file__).read_text(encoding="utf-8").splitlines()
    found = [i for i, line in enumerate(lines, 1) if text in line]
    assert len(found) >= nth, f"{text!r} not in {module.__file__}"
    return found[nth - 1]


def passes(scenario: Any, **kwargs: Any) -> list[Outcome]:
    """``explore(...)`` must pass: its outcomes (a CheckFailed becomes a plain test failure; escaping
    pytest, its ``msg`` attribute, a Msg, would crash pytest's report)."""
    try:
        return explore(scenario, **kwargs)
    except CheckFailed as exc:
        why = exc.msg.en
    pytest.fail(f"explore failed a correct program:\n{why}", pytrace=False)  # outside: no chained CheckFailed


def failure(scenario: Any, **kwargs: Any) -> str:
    """``explore(...)`` must fail the check: its English message."""
    with pytest.raises(CheckFailed) as info:
        explore(scenario, **kwargs)
    return info.value.msg.en


def equals(want: Any) -> Any:
    """A verify that fails when the scenario's value is not ``want``."""

    def verify(o: Outcome) -> Msg | None:
        return None if o.value == want else Msg.same(f"the result is {o.value!r}, not {want!r}")

    return verify


def trace_of(run: Any) -> list[tuple]:
    return [(e.step, e.task, e.kind, e.label, e.value) for e in run.trace]


# ------------------------------------------------------------------------ 1. races and correct styles

COUNTER = """
import threading

total = 0
lock = threading.Lock()
rlock = threading.RLock()
sem = threading.Semaphore(1)


def add(n):
    global total
{add}


def subtract(n):
    global total
{sub}


def main(n):
    global total
    total = 0
    t1 = threading.Thread(target=add, args=(n,))
    t2 = threading.Thread(target=subtract, args=(n,))
    t1.start()
    t2.start()
    t1.join()
    t2.join()
    return total
"""


def counter(add: str, sub: str | None = None) -> str:
    """The counter module with these loop bodies (``{op}`` is ``+=``/``-=``, ``{sign}`` is ``+``/``-``)."""
    sub = add if sub is None else sub

    def body(text: str, op: str, sign: str) -> str:
        return textwrap.indent(textwrap.dedent(text).strip("\n").format(op=op, sign=sign), "    ")

    return COUNTER.replace("{add}", body(add, "+=", "+")).replace("{sub}", body(sub, "-=", "-"))


RACY_COUNTERS = {
    "unlocked": ("""
        for _ in range(n):
            total {op} 1
        """, None),
    "total = total + 1": ("""
        for _ in range(n):
            total = total {sign} 1
        """, None),
    "a new lock per call": ("""
        for _ in range(n):
            with threading.Lock():
                total {op} 1
        """, None),
    "lock on one side only": ("""
        for _ in range(n):
            with lock:
                total {op} 1
        """, """
        for _ in range(n):
            total {op} 1
        """),
    "read and write in separate critical sections": ("""
        for _ in range(n):
            with lock:
                value = total
            with lock:
                total = value {sign} 1
        """, None),
}

CORRECT_COUNTERS = {
    "with lock": ("""
        for _ in range(n):
            with lock:
                total {op} 1
        """, None),
    "acquire/try/finally": ("""
        for _ in range(n):
            lock.acquire()
            try:
                total {op} 1
            finally:
                lock.release()
        """, None),
    "RLock": ("""
        for _ in range(n):
            with rlock:
                with rlock:
                    total {op} 1
        """, None),
    "one lock around the whole loop": ("""
        with lock:
            for _ in range(n):
                total {op} 1
        """, None),
    "Semaphore(1)": ("""
        for _ in range(n):
            with sem:
                total {op} 1
        """, None),
    "read and write in one critical section": ("""
        for _ in range(n):
            with lock:
                value = total
                total = value {sign} 1
        """, None),
}


@pytest.mark.parametrize("style", sorted(RACY_COUNTERS))
def test_racy_counter_fails_with_a_lost_update(tmp_path, style):
    mod = load(tmp_path, counter(*RACY_COUNTERS[style]))
    assert mod.main(N) == 0  # outside a run the threads are real: the interpreter hides the race
    msg = failure(lambda: mod.main(N), verify=equals(0))
    assert "The steps that went wrong" in msg
    assert "update is lost" in msg and "total" in msg


@pytest.mark.parametrize("style", sorted(CORRECT_COUNTERS))
def test_correct_counter_passes_every_schedule(tmp_path, style):
    mod = load(tmp_path, counter(*CORRECT_COUNTERS[style]))
    outcomes = passes(lambda: mod.main(N), verify=equals(0))
    assert [o.schedule for o in outcomes] == list(SCHEDULES)
    assert all(o.value == 0 and o.run.failure is None for o in outcomes)
    # the runs really interleaved the two threads (the check is not vacuous)
    switched = {o.schedule for o in outcomes if len({e.task for e in o.run.trace if e.kind == "switch"}) >= 3}
    assert switched


ACCOUNT = """
import threading


class Account:
    def __init__(self, balance):
        self.balance = balance
        self.lock = threading.Lock()
        self.cond = threading.Condition()

{methods}
"""

CHECK_THEN_ACT = """
    def withdraw(self, amount):
        if self.balance >= amount:
            self.balance -= amount
            return True
        return False
"""

CHECK_THEN_ACT_LOCKED_SEPARATELY = """
    def withdraw(self, amount):
        with self.lock:
            enough = self.balance >= amount
        if enough:
            with self.lock:
                self.balance -= amount
            return True
        return False
"""

LOCKED_WITHDRAW = """
    def withdraw(self, amount):
        with self.lock:
            if self.balance >= amount:
                self.balance -= amount
                return True
            return False
"""

CONDITION_ACCOUNT = """
    def deposit(self, amount):
        with self.cond:
            self.balance += amount
            self.cond.notify_all()

    def withdraw(self, amount):
        with self.cond:
            if self.balance >= amount:
                self.balance -= amount
                return True
            return False

    def withdraw_when_possible(self, amount):
        with self.cond:
            while self.balance < amount:
                self.cond.wait()
            self.balance -= amount
            return True
"""


def withdrawals(mod: Any) -> Any:
    def scenario() -> Any:
        acct = mod.Account(100)
        done: list = []
        in_threads(*((f"Thread-{i} withdraw({a})", (lambda a=a: done.append(acct.withdraw(a))))
                     for i, a in enumerate((60, 60, 50), 1)))
        return acct.balance, tuple(sorted(done))

    return scenario


def no_overdraft(o: Outcome) -> Msg | None:
    balance, results = o.value
    if balance < 0 or results.count(True) != 1:
        return Msg.same(f"balance {balance}, withdraw results {results}: the account was overdrawn")
    return None


@pytest.mark.parametrize("methods", [CHECK_THEN_ACT, CHECK_THEN_ACT_LOCKED_SEPARATELY], ids=["unlocked", "two-sections"])
def test_check_then_act_withdraw_overdraws(tmp_path, methods):
    mod = load(tmp_path, ACCOUNT.replace("{methods}", methods))
    msg = failure(withdrawals(mod), verify=no_overdraft)
    assert "overdrawn" in msg and "self.balance" in msg


@pytest.mark.parametrize("methods", [LOCKED_WITHDRAW, CONDITION_ACCOUNT], ids=["lock", "condition"])
def test_locked_withdraw_never_overdraws(tmp_path, methods):
    mod = load(tmp_path, ACCOUNT.replace("{methods}", methods))
    outcomes = passes(withdrawals(mod), verify=no_overdraft)
    assert {o.value for o in outcomes} <= {(40, (False, False, True)), (50, (False, False, True))}


def test_condition_account_waits_for_deposits(tmp_path):
    mod = load(tmp_path, ACCOUNT.replace("{methods}", CONDITION_ACCOUNT))

    def scenario() -> Any:
        acct = mod.Account(0)
        in_threads(("Thread-1 withdraw", lambda: acct.withdraw_when_possible(70)),
                   ("Thread-2 deposit", lambda: acct.deposit(30)),
                   ("Thread-3 deposit", lambda: acct.deposit(50)))
        return acct.balance

    outcomes = passes(scenario, verify=equals(10))
    assert len(outcomes) == len(SCHEDULES)


BACKOFF = """
import threading
import time

lock_1 = threading.Lock()
lock_2 = threading.Lock()
done = []


def take_both(first, second, name):
    while True:
        first.acquire()
        if second.acquire(timeout=0.01):
            break
        first.release()
        time.sleep(0.001)
    done.append(name)
    second.release()
    first.release()


def main():
    done.clear()
    t1 = threading.Thread(target=take_both, args=(lock_1, lock_2, "t1"))
    t2 = threading.Thread(target=take_both, args=(lock_2, lock_1, "t2"))
    t1.start()
    t2.start()
    t1.join()
    t2.join()
    return sorted(done)
"""


def test_timed_acquire_with_back_off_passes(tmp_path):
    mod = load(tmp_path, BACKOFF)
    outcomes = passes(mod.main, verify=equals(["t1", "t2"]))
    assert len(outcomes) == len(SCHEDULES)
    # the opposite order is taken, but the second lock only with a timeout: no lock-order edge
    assert all(o.run.lock_edges == [] for o in outcomes)
    # and some schedule really had a timed acquire give up (the back-off was exercised)
    assert any(o.run.vtime >= 0.01 for o in outcomes)


# ------------------------------------------------------------------------ 2. the lost-update story

def test_lost_update_message_shows_the_steps(tmp_path):
    mod = load(tmp_path, counter(*RACY_COUNTERS["unlocked"]))
    msg = failure(lambda: mod.main(N), verify=equals(0))
    add_line, sub_line = lineno(mod, "total += 1"), lineno(mod, "total -= 1")
    steps = re.findall(r"^  \d\. (Thread-\d \((?:add|subtract)\)) (read|wrote) total = (-?\d+) \(stu\.py, line (\d+)",
                       msg, re.M)
    assert len(steps) >= 3, msg
    first, *middle, last = steps
    assert first[1] == "read" and last[1] == "wrote" and first[0] == last[0]  # the stale thread reads, then writes
    other = [s for s in middle if s[0] != first[0] and s[1] == "wrote"]
    assert other, msg  # another thread wrote in between
    lines = {add_line, sub_line}
    assert {int(s[3]) for s in steps} == lines  # the student's own lines
    # the stale write is computed from the stale read (one step of +1 or -1 away)
    assert abs(int(last[2]) - int(first[2])) == 1
    assert f"{first[0]} wrote a value computed from the total it had read before" in msg
    assert f"but {other[-1][0]} changed total in between" in msg
    assert re.search(r"\(Schedule \S+: ", msg)


# ------------------------------------------------------------------------ 3. deadlocks

OPPOSITE = """
import threading
import time

lock_1 = threading.Lock()
lock_2 = threading.Lock()


def func_1():
    lock_1.acquire()
    {pause}
    lock_2.acquire()
    lock_2.release()
    lock_1.release()


def func_2():
    lock_2.acquire()
    {pause}
    lock_1.acquire()
    lock_1.release()
    lock_2.release()


def main():
    t1 = threading.Thread(target=func_1)
    t2 = threading.Thread(target=func_2)
    t1.start()
    t2.start()
    t1.join()
    t2.join()


def one_after_the_other():
    t1 = threading.Thread(target=func_1)
    t1.start()
    t1.join()
    t2 = threading.Thread(target=func_2)
    t2.start()
    t2.join()
"""


def opposite(pause: str = "pass") -> str:
    return OPPOSITE.replace("{pause}", pause)


def assert_deadlock_story(mod: Any, msg: str) -> None:
    assert msg.startswith("Deadlock: every thread is waiting"), msg
    for name in ("Thread-1 (func_1)", "Thread-2 (func_2)"):
        assert name in msg
    assert "lock_1" in msg and "lock_2" in msg
    # who waits for what, at which line, held by whom
    f1_first, f1_second = lineno(mod, "lock_1.acquire()"), lineno(mod, "lock_2.acquire()")
    f2_first, f2_second = lineno(mod, "lock_2.acquire()", 2), lineno(mod, "lock_1.acquire()", 2)
    assert f"  - Thread-1 (func_1) holds lock_1 (taken at stu.py, line {f1_first}: `lock_1.acquire()`), and waits " \
           f"for lock_2 at stu.py, line {f1_second}: `lock_2.acquire()` (held by Thread-2 (func_2))\n" in msg, msg
    assert f"  - Thread-2 (func_2) holds lock_2 (taken at stu.py, line {f2_first}: `lock_2.acquire()`), and waits " \
           f"for lock_1 at stu.py, line {f2_second}: `lock_1.acquire()` (held by Thread-1 (func_1))\n" in msg, msg
    assert re.search(r"  - MainThread waits for Thread-\d \(func_\d\) to finish \(join\)", msg)
    cycle = re.search(r"The cycle: (.*?)\. ", msg)
    assert cycle, msg
    assert cycle.group(1) in ("Thread-1 (func_1) → lock_2 → Thread-2 (func_2) → lock_1 → Thread-1 (func_1)",
                              "Thread-2 (func_2) → lock_1 → Thread-1 (func_1) → lock_2 → Thread-2 (func_2)")


def test_opposite_lock_order_fails_the_check(tmp_path):
    mod = load(tmp_path, opposite())
    mod.main()  # outside a run, real threads: this one happens to finish
    msg = failure(mod.main)
    assert "Deadlock" in msg or "Opposite lock order" in msg
    assert "lock_1" in msg and "lock_2" in msg and "func_1" in msg and "func_2" in msg


def test_opposite_lock_order_deadlocks_in_some_schedule(tmp_path):
    mod = load(tmp_path, opposite())
    specs = [f"random:{seed}" for seed in range(1, 41)]
    deadlocked = [s for s in specs if run_scenario(strategy_from_spec(s), mod.main)[0].failure == "deadlock"]
    assert deadlocked and len(deadlocked) < len(specs)  # both endings occur: the schedule decides
    msg = failure(mod.main, schedules=specs, lock_order=False)
    assert_deadlock_story(mod, msg)
    assert f"(Schedule {deadlocked[0]}:" in msg


def test_opposite_lock_order_with_sleeps_deadlocks_in_virtual_time(tmp_path):
    mod = load(tmp_path, opposite("time.sleep(0.5)"))
    msg = failure(mod.main, lock_order=False)
    assert_deadlock_story(mod, msg)
    for spec in SCHEDULES:  # with the sleeps every schedule deadlocks, after 0.5 virtual seconds
        run, _, error = run_scenario(strategy_from_spec(spec), mod.main)
        assert run.failure == "deadlock" and error is None, spec
        assert 0.5 <= run.vtime < 0.6, (spec, run.vtime)
        assert run.steps < 100, (spec, run.steps)  # a sleep is one blocked step, not a wait
        assert sorted(t.name for t in run.deadlock) == ["MainThread", "Thread-1 (func_1)", "Thread-2 (func_2)"]


SELF_DEADLOCK = """
import threading

total = 0
lock = threading.Lock()


def add(n):
    global total
    for _ in range(n):
        lock.acquire()
        total += 1


def main(n):
    t = threading.Thread(target=add, args=(n,))
    t.start()
    t.join()
"""


def test_acquire_without_release_is_a_self_deadlock(tmp_path):
    mod = load(tmp_path, SELF_DEADLOCK)
    msg = failure(lambda: mod.main(3), schedules=("rr:1",))
    assert msg.startswith("Deadlock"), msg
    assert re.search(rf"Thread-1 \(add\) holds lock \(taken at stu\.py, line {lineno(mod, 'lock.acquire()')}\b", msg)
    assert "which it already holds itself" in msg
    assert "MainThread waits for Thread-1 (add) to finish (join)" in msg
    assert "The cycle" not in msg


EVENT_NOBODY_SETS = """
import threading

ready = threading.Event()


def waiter():
    ready.wait()


def main():
    t = threading.Thread(target=waiter)
    t.start()
    t.join()
"""


def test_join_of_a_thread_blocked_on_an_event_is_a_deadlock_not_a_timeout(tmp_path):
    mod = load(tmp_path, EVENT_NOBODY_SETS)
    run, _, error = run_scenario(strategy_from_spec("rr:1"), mod.main)
    assert run.failure == "deadlock" and error is None
    assert run.steps < 50 and run.vtime < 0.001  # known at once: no timeout was waited for
    msg = failure(mod.main, schedules=("rr:1",))
    assert msg.startswith("Deadlock"), msg
    assert f"Thread-1 (waiter) is blocked in ready.wait() at stu.py, line {lineno(mod, 'ready.wait()')}" in msg
    assert "nothing will wake it" in msg
    assert f"MainThread waits for Thread-1 (waiter) to finish (join) at stu.py, line {lineno(mod, 't.join()')}" in msg


# ------------------------------------------------------------------------ 4. lock-order inversion

def test_inversion_is_flagged_when_the_schedule_did_not_deadlock(tmp_path):
    mod = load(tmp_path, opposite())
    run, _, error = run_scenario(strategy_from_spec("rr:1000"), mod.main)
    assert run.failure is None and error is None  # each thread ran to its end in turn
    found = explain.inversion(run.lock_edges)
    assert found is not None
    msg = failure(mod.main, schedules=("rr:1000",))
    assert msg == found.en + explain.schedule_note("rr:1000").en
    assert msg.startswith("Opposite lock order: ")
    assert f"takes lock_1 (stu.py, line {lineno(mod, 'lock_1.acquire()')}: `lock_1.acquire()`) and then lock_2" in msg
    assert "Thread-1 (func_1)" in msg and "Thread-2 (func_2)" in msg
    # without the lock-order check the same schedule passes: only the inversion flagged it
    assert len(passes(mod.main, schedules=("rr:1000",), lock_order=False)) == 1


def test_inversion_is_flagged_when_threads_run_one_after_the_other(tmp_path):
    mod = load(tmp_path, opposite())
    for spec in SCHEDULES:  # no schedule can deadlock this one
        assert run_scenario(strategy_from_spec(spec), mod.one_after_the_other)[0].failure is None, spec
    msg = failure(mod.one_after_the_other)
    assert msg.startswith("Opposite lock order: "), msg
    assert len(passes(mod.one_after_the_other, lock_order=False)) == len(SCHEDULES)


def test_one_lock_order_is_not_an_inversion(tmp_path):
    mod = load(tmp_path, opposite().replace("""    lock_2.acquire()
    pass
    lock_1.acquire()
    lock_1.release()
    lock_2.release()""", """    lock_1.acquire()
    pass
    lock_2.acquire()
    lock_2.release()
    lock_1.release()"""))
    outcomes = passes(mod.main)
    assert all(o.run.lock_edges for o in outcomes)  # edges were recorded, all in one direction
    assert explain.inversion([e for o in outcomes for e in o.run.lock_edges]) is None


# ------------------------------------------------------------------------ 5. reproducibility

def test_same_spec_same_trace_and_result(tmp_path):
    mod = load(tmp_path, counter(*RACY_COUNTERS["unlocked"]))
    traces = {}
    for spec in ("rr:1", "rr:3", "pct:2:2", "pct:3:5", "random:3", "random:7"):
        first, value_1, _ = run_scenario(strategy_from_spec(spec), lambda: mod.main(N))
        again, value_2, _ = run_scenario(strategy_from_spec(spec), lambda: mod.main(N))
        assert trace_of(first) == trace_of(again), spec
        assert (value_1, first.steps, first.vtime) == (value_2, again.steps, again.vtime), spec
        traces[spec] = tuple(trace_of(first))
    assert len(set(traces.values())) == len(traces)  # different schedules interleave differently


def test_kit_schedule_runs_only_that_schedule(tmp_path, monkeypatch):
    mod = load(tmp_path, counter(*CORRECT_COUNTERS["with lock"]))
    monkeypatch.setenv("KIT_SCHEDULE", "random:3")
    outcomes = passes(lambda: mod.main(N), verify=equals(0))
    assert [o.schedule for o in outcomes] == ["random:3"]
    alone, _, _ = run_scenario(strategy_from_spec("random:3"), lambda: mod.main(N))
    assert trace_of(outcomes[0].run) == trace_of(alone)
    racy = load(tmp_path, counter(*RACY_COUNTERS["unlocked"]), "racy")
    assert "(Schedule random:3:" in failure(lambda: racy.main(N), verify=equals(0))


def test_a_reported_schedule_replays_the_same_run(tmp_path, monkeypatch):
    """What ``--schedule SPEC`` replays must be the run that explore judged under SPEC."""
    mod = load(tmp_path, counter(*RACY_COUNTERS["unlocked"]))
    monkeypatch.delenv("KIT_SCHEDULE", raising=False)
    # a run of several hundred steps: a replay must not depend on anything learnt from other schedules
    everything = passes(lambda: mod.main(3 * N))  # no verify: every schedule is run and kept
    assert [o.schedule for o in everything] == list(SCHEDULES)
    assert everything[0].run.steps > 200
    for o in everything:
        monkeypatch.setenv("KIT_SCHEDULE", o.run.strategy.spec)  # the spec the feedback prints
        (replayed,) = passes(lambda: mod.main(3 * N))
        assert (replayed.value, trace_of(replayed.run)) == (o.value, trace_of(o.run)), o.schedule
    # end to end: the schedule a failure names replays that failure, word for word
    monkeypatch.delenv("KIT_SCHEDULE")
    pcts = [f"pct:2:{seed}" for seed in range(1, 30)]
    msg = failure(lambda: mod.main(3 * N), verify=equals(0), schedules=pcts)
    named = re.search(r"\(Schedule (\S+): `python -m autograder grade \.\.\. --schedule \1`", msg)
    assert named and named.group(1).startswith("pct:2:"), msg
    monkeypatch.setenv("KIT_SCHEDULE", named.group(1))
    assert failure(lambda: mod.main(3 * N), verify=equals(0), schedules=pcts) == msg


CROSS_VERSION_SCRIPT = r"""
import json, sys
from autograder.checks import CheckFailed
from autograder.interleave import SCHEDULES, explore
from autograder.interleave.loader import load_instrumented
from autograder.interleave.scheduler import run_scenario, strategy_from_spec
from autograder.i18n import Msg

racy = load_instrumented("xv_racy", sys.argv[1])
locks = load_instrumented("xv_locks", sys.argv[2])
pc_queue = load_instrumented("xv_queue", sys.argv[3])  # the stdlib queue's own source differs by version
pc_cond = load_instrumented("xv_cond", sys.argv[4])
out = {"python": sys.version.split()[0]}
for spec in ("rr:1", "rr:2", "acq", "pct:2:1", "pct:3:4", "random:1", "random:5"):
    for name, scenario in (("racy", lambda: racy.main(8)), ("locks", locks.main),
                           ("queue", lambda: pc_queue.main(4, 2, 1)), ("cond", lambda: pc_cond.main(4))):
        run, value, error = run_scenario(strategy_from_spec(spec), scenario)
        out[f"{name} {spec}"] = {
            "trace": [[e.step, e.task, e.kind, e.label, e.value] for e in run.trace],
            "value": value, "error": repr(error), "failure": run.failure, "steps": run.steps,
            "vtime": round(run.vtime, 9)}
slow = load_instrumented("xv_slow", sys.argv[5])  # slow producers: the kit queue's log and virtual time
for spec in ("rr:1", "pct:3:4", "random:5"):
    for style in ("sentinel", "empty", "timeout", "early"):
        run, value, error = run_scenario(strategy_from_spec(spec), lambda: slow.main(style, maxsize=2), max_steps=20000,
                                         on_start=lambda r: setattr(r, "producer_time", 1.0))
        out[f"slow {style} {spec}"] = {
            "ops": [[op.kind, op.task, op.step, repr(op.item), op.detail] for w in run.queues for op in w.ops],
            "value": value, "error": repr(error), "failure": run.failure, "steps": run.steps,
            "vtime": round(run.vtime, 9)}
verdicts = {}
for name, scenario, verify in (("racy", lambda: racy.main(20), lambda o: None if o.value == 0 else Msg.same("!= 0")),
                               ("locks", locks.main, None)):
    try:
        verdicts[name] = [o.value for o in explore(scenario, verify=verify)]
    except CheckFailed as exc:
        verdicts[name] = exc.msg.en
out["verdicts"] = verdicts
out["schedules"] = list(SCHEDULES)
print(json.dumps(out, sort_keys=True))
"""

PYTHONS = ("3.10.13", "3.11.7", "3.12.1", "3.13.0")


def test_same_schedules_on_every_python_version(tmp_path):
    racy = tmp_path / "racy.py"
    racy.write_text(textwrap.dedent(counter(*RACY_COUNTERS["unlocked"])), encoding="utf-8")
    locks = tmp_path / "locks.py"
    locks.write_text(textwrap.dedent(opposite("time.sleep(0.5)")), encoding="utf-8")
    pc_queue = tmp_path / "pc_queue.py"
    pc_queue.write_text(textwrap.dedent(QUEUE_PC), encoding="utf-8")
    pc_cond = tmp_path / "pc_cond.py"
    pc_cond.write_text(textwrap.dedent(CONDITION_PC), encoding="utf-8")
    slow_pc = tmp_path / "slow_pc.py"
    slow_pc.write_text(textwrap.dedent(SLOW_PC), encoding="utf-8")
    script = tmp_path / "trace.py"
    script.write_text(CROSS_VERSION_SCRIPT, encoding="utf-8")
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = {v: f"{root}/versions/{v}/bin/python3" for v in PYTHONS if os.path.exists(f"{root}/versions/{v}/bin/python3")}
    if len(found) < 2:
        pytest.skip(f"fewer than two of {', '.join(PYTHONS)} are installed here")
    env = dict(os.environ, PYTHONPATH=str(KIT_ROOT), PYTHONDONTWRITEBYTECODE="1")
    procs = {v: subprocess.Popen([py, str(script), str(racy), str(locks), str(pc_queue), str(pc_cond), str(slow_pc)],
                                 cwd=tmp_path,
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for v, py in found.items()}
    printed = {}
    for v, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"{v}: {err}"
        printed[v] = json.loads(out)
        assert printed[v].pop("python") == v
    first = next(iter(printed.values()))
    assert "lost" in first["verdicts"]["racy"] and first["verdicts"]["locks"].startswith("Deadlock")
    assert any(r["value"] != 0 for k, r in first.items() if k.startswith("racy "))
    assert all(r["failure"] == "deadlock" for k, r in first.items() if k.startswith(("queue ", "locks ")))
    assert all(r["value"] == [0, 1, 2, 3] for k, r in first.items() if k.startswith("cond "))
    assert all((r["value"] == list(range(6))) == (k.split()[1] == "sentinel") for k, r in first.items()
               if k.startswith("slow "))
    for v, got in printed.items():
        assert got == first, f"Python {v} scheduled differently from {next(iter(printed))}"
    missing = sorted(set(PYTHONS) - set(found))
    if missing:  # say so, by name, but the installed ones agreed
        print(f"not installed: {', '.join(missing)}")


# ------------------------------------------------------------------------ 6. virtual time

TIMES = """
import threading
import time

lock = threading.Lock()
flag = threading.Event()


def nap():
    time.sleep(100)
    return "rested"


def napping_thread():
    t = threading.Thread(target=nap)
    t.start()
    t.join()
    return "joined"


def try_lock(box):
    box.append(lock.acquire(timeout=2.5))


def held_elsewhere():
    box = []
    with lock:
        t = threading.Thread(target=try_lock, args=(box,))
        t.start()
        t.join()
    return box


def wait_flag():
    return flag.wait(3)


def measure():
    t0 = time.monotonic()
    p0 = time.perf_counter()
    time.sleep(7)
    return time.monotonic() - t0, time.perf_counter() - p0
"""


def test_sleep_is_virtual(tmp_path):
    mod = load(tmp_path, TIMES)
    for scenario, want in ((mod.nap, "rested"), (mod.napping_thread, "joined")):
        run, value, error = run_scenario(strategy_from_spec("rr:1"), scenario)
        assert (value, error, run.failure) == (want, None, None)
        assert 100 <= run.vtime < 100.01 and run.steps < 50


def test_timed_acquire_times_out_virtually(tmp_path):
    mod = load(tmp_path, TIMES)
    run, value, error = run_scenario(strategy_from_spec("rr:1"), mod.held_elsewhere)
    assert (value, error, run.failure) == ([False], None, None)
    assert 2.5 <= run.vtime < 2.51 and run.steps < 50


def test_event_wait_times_out_virtually(tmp_path):
    mod = load(tmp_path, TIMES)
    run, value, error = run_scenario(strategy_from_spec("rr:1"), mod.wait_flag)
    assert (value, error, run.failure) == (False, None, None)
    assert 3 <= run.vtime < 3.01


def test_clocks_advance_virtually(tmp_path):
    mod = load(tmp_path, TIMES)
    run, (mono, perf), error = run_scenario(strategy_from_spec("rr:1"), mod.measure)
    assert error is None
    assert 7 <= mono < 7.001 and 7 <= perf < 7.001
    assert mono == pytest.approx(run.vtime, abs=0.001)


# ------------------------------------------------------------------------ 7. step budget

SPIN = """
import threading

done = False


def spin():
    while not done:
        pass


def main():
    t = threading.Thread(target=spin)
    t.start()
    t.join()
"""


def test_spin_loop_runs_out_of_steps(tmp_path):
    mod = load(tmp_path, SPIN)
    msg = failure(mod.main, max_steps=2000)
    assert msg.startswith("After 2000 scheduling steps the threads had still not finished "
                          "(MainThread, Thread-1 (spin)): is a thread spinning"), msg
    assert "spinning" in msg
    assert "in the loop at" in msg and "`while not done:`" in msg, msg  # where the steps went
    run, _, _ = run_scenario(strategy_from_spec("rr:1"), mod.main, max_steps=2000)
    assert run.failure == "steps" and run.steps == 2001


# ------------------------------------------------------------------------ 8. primitives in and out of runs

PLAIN = """
import queue
import threading
import time

lock = threading.Lock()
rlock = threading.RLock()
cond = threading.Condition()
ev = threading.Event()
sem = threading.Semaphore(2)
results = []


def worker(q):
    while True:
        item = q.get()
        if item is None:
            break
        with lock:
            results.append(item * 2)
    ev.set()


def pipeline():
    results.clear()
    ev.clear()
    q = queue.Queue()
    t = threading.Thread(target=worker, args=(q,))
    t.start()
    for i in range(5):
        q.put(i)
    q.put(None)
    t.join(5)
    assert ev.wait(5)
    assert not t.is_alive()
    with rlock:
        with rlock:
            pass
    with sem:
        with sem:
            pass
    with cond:
        cond.notify_all()
    assert lock.acquire(timeout=1)
    assert not lock.acquire(blocking=False)
    lock.release()
    time.sleep(0.001)
    return list(results)


at_import = pipeline()
"""


def test_primitives_work_outside_a_run(tmp_path):
    mod = load(tmp_path, PLAIN)
    assert mod.at_import == [0, 2, 4, 6, 8]
    assert mod.pipeline() == [0, 2, 4, 6, 8]  # a plain call: real threads
    kit = "autograder.interleave.primitives"
    assert type(mod.lock).__module__ == kit and type(mod.ev).__module__ == kit
    assert mod.threading.Thread.__module__ == kit and mod.queue.Queue().mutex.__class__.__module__ == kit
    assert mod.threading is not threading and mod.threading.Lock is not threading.Lock


def test_primitives_in_a_run(tmp_path):
    mod = load(tmp_path, PLAIN)
    outcomes = passes(mod.pipeline, verify=equals([0, 2, 4, 6, 8]))
    assert len(outcomes) == len(SCHEDULES)


CONDITION_PC = """
import threading

items = []
cond = threading.Condition()
got = []


def producer(n):
    for i in range(n):
        with cond:
            items.append(i)
            cond.notify()
    with cond:
        items.append(None)
        cond.notify()


def consumer():
    while True:
        with cond:
            while not items:
                cond.wait()
            item = items.pop(0)
        if item is None:
            return
        got.append(item)


def main(n):
    items.clear()
    got.clear()
    c = threading.Thread(target=consumer)
    p = threading.Thread(target=producer, args=(n,))
    c.start()
    p.start()
    c.join()
    p.join()
    return list(got)
"""


def test_condition_producer_consumer_every_schedule(tmp_path):
    """A notify made while the waiter is releasing the lock must not be lost (it once was)."""
    mod = load(tmp_path, CONDITION_PC)
    outcomes = passes(lambda: mod.main(5), verify=equals([0, 1, 2, 3, 4]))
    assert len(outcomes) == len(SCHEDULES)
    more = [f"pct:{d}:{s}" for d in (2, 3) for s in range(1, 26)] + [f"rr:{q}" for q in range(1, 12)]
    assert len(passes(lambda: mod.main(5), verify=equals([0, 1, 2, 3, 4]), schedules=more)) == len(more)


QUEUE_PC = """
import queue
import threading


def producer(q, n, consumers):
    for i in range(n):
        q.put(i)
    for _ in range(consumers):
        q.put(None)


def consumer(q, out):
    while True:
        item = q.get()
        if item is None:
            return
        out.append(item)


def main(n, consumers=2, sentinels=None):
    q = queue.Queue(maxsize=2)
    out = []
    workers = [threading.Thread(target=consumer, args=(q, out)) for _ in range(consumers)]
    for w in workers:
        w.start()
    producer(q, n, consumers if sentinels is None else sentinels)
    for w in workers:
        w.join()
    return sorted(out)
"""


def test_queue_producer_consumer_every_schedule(tmp_path):
    mod = load(tmp_path, QUEUE_PC)
    outcomes = passes(lambda: mod.main(6), verify=equals(list(range(6))))
    assert len(outcomes) == len(SCHEDULES)


def test_consumer_without_sentinel_is_a_deadlock_naming_the_get(tmp_path):
    mod = load(tmp_path, QUEUE_PC)
    msg = failure(lambda: mod.main(4, consumers=2, sentinels=1))
    assert msg.startswith("Deadlock"), msg
    line = lineno(mod, "item = q.get()")
    assert re.search(rf"Thread-\d \(consumer\) is blocked in .*\(\) at stu\.py, line {line}: `item = q\.get\(\)`", msg)
    assert "nothing will wake it" in msg
    assert re.search(r"MainThread waits for Thread-\d \(consumer\) to finish \(join\)", msg)


# ------------------------------------------------------------------------ 9. thread errors and leftovers

ERRORS = """
import threading
import time


def broken():
    raise ValueError("boom")


def main():
    t = threading.Thread(target=broken)
    t.start()
    t.join()


def slow():
    time.sleep(10)


def forgets_join():
    t = threading.Thread(target=slow)
    t.start()
    return "returned"
"""


def test_thread_exception_names_the_thread(tmp_path):
    mod = load(tmp_path, ERRORS)
    msg = failure(mod.main)
    assert msg.startswith("Thread-1 (broken) raised an exception: ValueError: boom"), msg
    run, _, error = run_scenario(strategy_from_spec("rr:1"), mod.main)
    assert error is None and [(t.name, repr(t.error)) for t in run.tasks if t.error] == \
        [("Thread-1 (broken)", "ValueError('boom')")]


def test_leftover_threads_are_listed(tmp_path):
    mod = load(tmp_path, ERRORS)
    seen: list = []

    def verify(o: Outcome) -> Msg | None:
        seen.append((o.value, o.leftover))
        return Msg.same(f"still running: {o.leftover}") if o.leftover else None

    msg = failure(mod.forgets_join, verify=verify, schedules=("rr:1",))
    assert seen == [("returned", ["Thread-1 (slow)"])]
    assert "still running: ['Thread-1 (slow)']" in msg
    run, _, _ = run_scenario(strategy_from_spec("rr:1"), mod.forgets_join)
    assert run.leftover == ["Thread-1 (slow)"] and run.failure is None
    joined, _, _ = run_scenario(strategy_from_spec("rr:1"), mod.main)
    assert joined.leftover == []


# ------------------------------------------------------------------------ 10. the rewrite

LINES = """
import threading

counts = {"a": 0}
lock = threading.Lock()


class Counter:
    def __init__(self):
        self.n = 0

    def inc(self, times):
        for _ in range(times):
            self.n += 1

    def safe_inc(self, times):
        for _ in range(times):
            with lock:
                self.n += 1


def bump(times, key="a"):
    for _ in range(times):
        counts[key] += 1


def safe_bump(times, key="a"):
    for _ in range(times):
        with lock:
            counts[key] += 1


def fails(x):
    global total
    total = x
    y = x + 1
    counts[y] += 1
    return y


def two(func, *args):
    counts["a"] = 0
    t1 = threading.Thread(target=func, args=args)
    t2 = threading.Thread(target=func, args=args)
    t1.start()
    t2.start()
    t1.join()
    t2.join()
"""


def test_rewrite_keeps_line_numbers(tmp_path):
    mod = load(tmp_path, LINES)
    want = lineno(mod, "counts[y] += 1")
    with pytest.raises(KeyError) as info:
        mod.fails(1)  # outside a run
    assert traceback.extract_tb(info.value.__traceback__)[-1].lineno == want
    _, _, error = run_scenario(strategy_from_spec("rr:1"), lambda: mod.fails(1))
    assert isinstance(error, KeyError)
    frame = traceback.extract_tb(error.__traceback__)[-1]
    assert (frame.lineno, frame.name, frame.line) == (want, "fails", "counts[y] += 1")


def test_attribute_augmented_assignment_races(tmp_path):
    mod = load(tmp_path, LINES)

    def scenario(method: str) -> Any:
        def run() -> int:
            c = mod.Counter()
            mod.two(getattr(c, method), N)
            return c.n
        return run

    msg = failure(scenario("inc"), verify=equals(2 * N))
    assert "changed self.n in between" in msg
    assert "read self.n = " in msg and f"line {lineno(mod, 'self.n += 1')}" in msg
    passes(scenario("safe_inc"), verify=equals(2 * N))


def test_subscript_augmented_assignment_races(tmp_path):
    mod = load(tmp_path, LINES)

    def scenario(func: str) -> Any:
        def run() -> int:
            mod.two(getattr(mod, func), N)
            return mod.counts["a"]
        return run

    msg = failure(scenario("bump"), verify=equals(2 * N))
    assert "changed counts[key] in between" in msg
    assert f"line {lineno(mod, 'counts[key] += 1')}" in msg
    passes(scenario("safe_bump"), verify=equals(2 * N))


# ------------------------------------------------------------------------ 11. queues that fight back

SLOW_PC = """
import queue
import threading
from queue import Empty


def main(style, n=6, producers=2, consumers=2, maxsize=0):
    q = queue.Queue(maxsize)
    done = []

    def producer(first):
        for item in range(first, n, producers):
            q.put(item)

    def consumer():
        while True:
            if style == "empty":
                if q.empty():
                    return
                item = q.get()
            elif style == "qsize":
                if q.qsize() == 0:
                    return
                item = q.get()
            elif style == "timeout":
                try:
                    item = q.get(timeout=5)
                except Empty:
                    return
            elif style == "retry":
                try:
                    item = q.get(timeout=0.5)
                except Empty:
                    continue
            elif style == "spin":
                try:
                    item = q.get_nowait()
                except Empty:
                    continue
            else:
                item = q.get()
            if item is None:
                return
            done.append(item)

    ps = [threading.Thread(target=producer, args=(i,)) for i in range(producers)]
    cs = [threading.Thread(target=consumer) for _ in range(consumers)]
    for t in cs + ps:
        t.start()
    if style == "early":
        for _ in cs:
            q.put(None)
    for t in ps:
        t.join()
    if style != "early":
        for _ in cs:
            q.put(None)
    for t in cs:
        t.join()
    return sorted(done)
"""


def slow_run(spec: str, scenario: Any, max_steps: int = 20_000) -> tuple:
    return run_scenario(strategy_from_spec(spec), scenario, max_steps=max_steps,
                        on_start=lambda r: setattr(r, "producer_time", 1.0))


@pytest.mark.parametrize("style", ["sentinel", "retry"])
def test_slow_producers_keep_correct_consumers_whole(tmp_path, style):
    mod = load(tmp_path, SLOW_PC)
    for maxsize in (0, 2):
        outcomes = passes(lambda m=maxsize: mod.main(style, maxsize=m), verify=equals(list(range(6))), producer_time=1.0,
                          max_steps=20_000)
        assert len(outcomes) == len(SCHEDULES)
        assert all(o.run.vtime >= 3.0 for o in outcomes)  # three products per producer, a virtual second each


@pytest.mark.parametrize("style", ["empty", "qsize", "timeout", "early"])
def test_slow_producers_make_early_stopping_consumers_lose_items_in_every_schedule(tmp_path, style):
    mod = load(tmp_path, SLOW_PC)
    for spec in SCHEDULES:
        run, value, error = slow_run(spec, lambda: mod.main(style))
        assert error is None and run.failure is None, (spec, error, run.failure)
        assert value != list(range(6)), spec  # lost items, whatever the schedule
    # without the slow-down the same consumers get lucky in some schedule: that is what producer_time is for
    lucky = [run_scenario(strategy_from_spec(spec), lambda: mod.main(style))[1] == list(range(6)) for spec in SCHEDULES]
    assert style == "early" or any(lucky)


def test_slow_producers_outlast_any_get_timeout(tmp_path):
    mod = load(tmp_path, SLOW_PC)
    run, value, _ = slow_run("rr:1", lambda: mod.main("timeout"))
    (w,) = run.queues
    empties = w.of("empty")
    assert empties and all(op.detail == 5 for op in empties) and value != list(range(6))
    first_put = min(op.step for op in w.of("put") if op.tid != 0)
    assert all(op.step < first_put for op in empties)  # every consumer timed out before the first product came


def test_spinning_consumer_runs_out_of_steps_under_slow_producers(tmp_path):
    mod = load(tmp_path, SLOW_PC)
    msg = failure(lambda: mod.main("spin"), producer_time=1.0, max_steps=5000)
    assert msg.startswith("After 5000 scheduling steps"), msg
    assert "`item = q.get_nowait()`" in msg, msg
    run, _, _ = slow_run("rr:1", lambda: mod.main("spin"), max_steps=5000)
    polls = [op for w in run.queues for op in w.of("empty") if op.detail == "nowait"]
    assert run.failure == "steps" and len(polls) > 400


def test_producer_time_is_off_by_default(tmp_path):
    mod = load(tmp_path, SLOW_PC)
    run, value, _ = run_scenario(strategy_from_spec("rr:1"), lambda: mod.main("sentinel"))
    assert value == list(range(6)) and run.vtime < 0.01 and run.producer_time == 0.0


def test_queue_log_records_puts_gets_and_task_done(tmp_path):
    mod = load(tmp_path, """
        import queue
        import threading


        def main():
            q = queue.Queue()
            seen = []

            def worker():
                while True:
                    item = q.get()
                    seen.append(item)
                    q.task_done()

            threading.Thread(target=worker, daemon=True).start()
            for item in "abc":
                q.put(item)
            assert q.qsize() >= 0 and not q.full()
            q.join()
            return seen
        """)
    run, value, error = run_scenario(strategy_from_spec("rr:1"), mod.main)
    assert error is None and value == ["a", "b", "c"]
    (w,) = run.queues
    assert w.label == "q" and w.maxsize == 0 and w.made is not None and w.made.lineno == lineno(mod, "q = queue.Queue()")
    assert [op.item for op in w.of("put")] == ["a", "b", "c"] == [op.item for op in w.of("get")]
    assert [op.item for op in w.of("task_done")] == ["a", "b", "c"] and w.owed == []
    assert [op.detail for op in w.of("poll")] == ["qsize", "full"]
    assert [op.tid for op in w.of("join", "joined")] == [0, 0]
    assert run.leftover == ["Thread-1 (worker)"] and [t.daemon for t in run.left] == [True]


JOIN_NO_TASK_DONE = """
import queue
import threading


def main(n_workers=2, task_done=False):
    q = queue.Queue()

    def worker():
        while True:
            item = q.get()
            if task_done:
                q.task_done()

    for _ in range(n_workers):
        threading.Thread(target=worker, daemon=True).start()
    for item in range(3):
        q.put(item)
    q.join()
"""


def test_join_without_task_done_is_a_deadlock_naming_the_items(tmp_path):
    mod = load(tmp_path, JOIN_NO_TASK_DONE)
    msg = failure(mod.main, lock_order=False)
    line = lineno(mod, "q.join()")
    assert msg.startswith("Deadlock"), msg
    assert re.search(rf"MainThread waits in q\.join\(\) at stu\.py, line {line}: `q\.join\(\)` for 3 unfinished tasks: "
                     r"task_done\(\) was not called for 0, 1 and 2 \(taken by Thread-1 \(worker\), Thread-2 \(worker\)\)",
                     msg), msg
    get_line = lineno(mod, "item = q.get()")
    assert f"Thread-1 (worker) is blocked in q.get() at stu.py, line {get_line}: `item = q.get()` on an empty queue" in msg
    assert "2 threads wait in q.get() on an empty queue" in msg
    assert "q.join() returns once task_done() has been called once for every item" in msg
    passes(lambda: mod.main(task_done=True), lock_order=False)


def test_full_queue_put_is_a_deadlock_in_queue_terms(tmp_path):
    mod = load(tmp_path, """
        import queue
        import threading


        def main():
            q = queue.Queue(maxsize=2)

            def producer():
                for item in range(5):
                    q.put(item)

            t = threading.Thread(target=producer)
            t.start()
            t.join()
        """)
    msg = failure(mod.main)
    line = lineno(mod, "q.put(item)")
    assert f"Thread-1 (producer) is blocked in q.put() at stu.py, line {line}: `q.put(item)` on a full queue " \
           "(2 items, maxsize=2), and no thread takes anything out any more" in msg, msg
    assert "1 thread waits in q.put() on a full queue" in msg


def test_a_thread_that_died_is_named_in_the_deadlock(tmp_path):
    mod = load(tmp_path, """
        import queue
        import threading


        def main():
            q = queue.Queue()

            def worker():
                item = q.get()
                raise RuntimeError(f"bad {item}")

            threading.Thread(target=worker, daemon=True).start()
            q.put(7)
            q.join()
        """)
    msg = failure(mod.main, schedules=("rr:1",))
    assert "Thread-1 (worker) had already ended with an exception: RuntimeError: bad 7" in msg, msg
    assert "task_done() was not called for 7 (taken by Thread-1 (worker) at stu.py" in msg, msg


def test_ignored_errors_and_context(tmp_path):
    mod = load(tmp_path, """
        import threading


        def main(work):
            ts = [threading.Thread(target=work, args=(i,)) for i in range(3)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
        """)

    class Planned(Exception):
        pass

    def work(i: int) -> None:
        if i == 1:
            raise Planned("on purpose")

    passes(lambda: mod.main(work), ignore_errors=(Planned,))
    msg = failure(lambda: mod.main(work), schedules=("rr:1",), context=lambda o: Msg.same(f"[{len(o.run.tasks)} tasks]"))
    assert msg.startswith("Thread-2 (work) raised an exception") and "\n[4 tasks]" in msg, msg


def test_leftover_non_daemon_threads_are_told_apart(tmp_path):
    mod = load(tmp_path, """
        import queue
        import threading


        def main():
            q = queue.Queue()
            threading.Thread(target=q.get, name="waiter", daemon=True).start()
            threading.Thread(target=q.get, name="keeper").start()
        """)
    (o,) = passes(mod.main, schedules=("rr:1",))
    assert o.leftover == ["waiter", "keeper"] and o.leftover_non_daemon == ["keeper"]
    text = explain.left_running(o.run.left).en
    assert "- waiter (a daemon thread)" in text and "- keeper " in text, text


def test_simple_queue_is_watched_and_slowed(tmp_path):
    mod = load(tmp_path, """
        import queue
        import threading


        def main():
            q = queue.SimpleQueue()
            out = []

            def producer():
                for i in range(3):
                    q.put(i)

            def consumer():
                while q.empty() is False or not out:
                    try:
                        out.append(q.get(timeout=0.5))
                    except queue.Empty:
                        return

            threads = [threading.Thread(target=producer), threading.Thread(target=consumer)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return out
        """)
    run, value, error = slow_run("rr:1", mod.main)
    assert error is None and run.failure is None and value == []
    (w,) = run.queues
    assert len(w.of("put")) == 3 and w.of("empty")[0].detail == 0.5
