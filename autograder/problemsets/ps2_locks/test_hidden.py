"""Hidden tests of ps2_locks. They run in a child process, one check per child.

On CPython 3.10+ an unlocked counter nearly always ends right by luck, and the
tutorial's opposite lock order deadlocks only now and then without its sleeps.
So the checks marked ``scheduled=True`` do not run the student's threads freely:
:func:`autograder.interleave.explore` runs each scenario under a fixed list of
thread schedules (round robin, PCT, random walks with fixed seeds), switching
between the student's threads at every statement and inside ``x += 1``. A race
or a deadlock that any of those schedules shows fails the check, with the steps
or the lock cycle, in every grading; a correct program passes all of them.
"""

from __future__ import annotations

from typing import Any

from autograder.checks import check, expect
from autograder.i18n import Msg
from autograder.interleave import Outcome, current_task, explore, in_threads

N = 20  # iterations per thread under the scheduler: enough for every schedule to reach the races
ONE_SCHEDULE = ("rr:1",)  # structural checks: one fair, fully interleaved schedule is enough


class Calls:
    """Wraps functions of the student's module to record, per run, which thread ran them and when."""

    def __init__(self, module: Any, *names: str):
        self.records: list[dict] = []
        for name in names:
            original = getattr(module, name)
            setattr(module, name, self._wrap(name, original))

    def _wrap(self, name: str, func: Any) -> Any:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            task = current_task()
            rec = {"name": name, "args": args, "task": task, "start": task.run.steps if task else None, "end": None}
            self.records.append(rec)
            try:
                return func(*args, **kwargs)
            finally:
                rec["end"] = task.run.steps if task else None

        recorded.__name__ = getattr(func, "__name__", name)
        return recorded

    def reset(self) -> None:
        self.records.clear()


def _overlap(a: dict, b: dict) -> bool:
    return a["end"] is not None and b["end"] is not None and a["start"] < b["end"] and b["start"] < a["end"]


def two_threads_at_once(calls: Calls, first: str, second: str) -> Msg | None:
    """Both functions called once, each in its own new thread, and the two threads overlapping."""
    got = {name: [r for r in calls.records if r["name"] == name] for name in (first, second)}
    for name, recs in got.items():
        if len(recs) != 1:
            return Msg(f"{name}() 应该被调用一次，实际调用了 {len(recs)} 次。",
                       f"{name}() should be called once; it was called {len(recs)} times.")
    a, b = got[first][0], got[second][0]
    for rec in (a, b):
        if rec["task"] is None or rec["task"].tid == 0:
            return Msg(f"{rec['name']}() 在调用者自己的线程里运行，而不是在新线程里。",
                       f"{rec['name']}() ran in the caller's own thread, not in a new thread.")
    if a["task"] is b["task"]:
        return Msg(f"{first}() 和 {second}() 在同一个线程里运行。", f"{first}() and {second}() ran in the same thread.")
    if not _overlap(a, b):
        return Msg(f"{first}() 和 {second}() 是一个接一个运行的（先 start 再 join 再 start）：它们应该同时运行。",
                   f"{first}() and {second}() ran one after the other (start, join, then start the next): "
                   "they should run at the same time.")
    return None


# ---------------------------------------------------------------- add_and_subtract

@check("add_and_subtract", points=4, scheduled=True,
       en="total is 0 after add and subtract, in every thread schedule",
       zh="在任何线程调度下，加减之后 total 都是 0")
def test_total_zero_in_every_schedule(locks):
    def verify(o: Outcome) -> Msg | None:
        if o.leftover:
            return Msg(f"add_and_subtract() 返回时线程还在运行：{', '.join(o.leftover)}（忘了 join？）",
                       f"add_and_subtract() returned while threads were still running: {', '.join(o.leftover)} "
                       "(a missing join?)")
        if o.value != 0 or locks.total != 0:
            return Msg(f"add_and_subtract({N}) 返回 {o.value!r}，total 是 {locks.total!r}，都应该是 0。",
                       f"add_and_subtract({N}) returned {o.value!r} with total = {locks.total!r}; both should be 0.")
        return None

    explore(lambda: locks.add_and_subtract(N), verify=verify)


@check("add_and_subtract", points=2, scheduled=True,
       en="add and subtract run in two threads at once", zh="add 和 subtract 在两个线程里同时运行")
def test_add_and_subtract_in_two_threads(locks):
    calls = Calls(locks, "add", "subtract")

    def scenario() -> Any:
        calls.reset()
        return locks.add_and_subtract(N)

    explore(scenario, verify=lambda o: two_threads_at_once(calls, "add", "subtract"), schedules=ONE_SCHEDULE)


@check("add_and_subtract", points=2, scheduled=True,
       en="add(n) and subtract(n) each change total by n", zh="add(n) 和 subtract(n) 各自把 total 改变 n")
def test_add_and_subtract_alone(locks):
    def scenario() -> tuple:
        locks.total = 5
        locks.add(7)
        after_add = locks.total
        locks.subtract(4)
        return after_add, locks.total

    def verify(o: Outcome) -> Msg | None:
        if o.value != (12, 8):
            return Msg(f"total 从 5 开始：add(7) 之后是 {o.value[0]!r}（应为 12），再 subtract(4) 之后是 "
                       f"{o.value[1]!r}（应为 8）。",
                       f"Starting from total = 5: after add(7) it was {o.value[0]!r} (should be 12), then after "
                       f"subtract(4) {o.value[1]!r} (should be 8).")
        return None

    explore(scenario, verify=verify, schedules=ONE_SCHEDULE)


# ---------------------------------------------------------------- Account

@check("Account", points=2, en="deposit and withdraw keep the balance right (one thread)",
       zh="单线程下存取款后余额正确")
def test_account_one_thread(locks):
    acct = locks.Account(100)
    expect(acct.balance == 100, en="Account(100).balance is {got!r}, not 100", zh="Account(100).balance 是 {got!r}，不是 100",
           got=acct.balance)
    steps = [("withdraw", 30, True, 70), ("withdraw", 80, False, 70), ("deposit", 20, None, 90),
             ("withdraw", 90, True, 0), ("withdraw", 1, False, 0)]
    for method, amount, returns, balance in steps:
        got = getattr(acct, method)(amount)
        if returns is not None:
            expect(got is returns, en="{m}({a}) returned {got!r}; it should return {want!r}",
                   zh="{m}({a}) 返回了 {got!r}，应该返回 {want!r}", m=method, a=amount, got=got, want=returns)
        expect(acct.balance == balance, en="after {m}({a}) the balance is {got!r}; it should be {want}",
               zh="{m}({a}) 之后余额是 {got!r}，应该是 {want}", m=method, a=amount, got=acct.balance, want=balance)


def _account_scenario(locks: Any, start: int, ops: list[tuple[str, int]]) -> Any:
    """Each op in its own thread at once; returns (account, [(op, amount, returned)])."""

    def scenario() -> Any:
        acct = locks.Account(start)
        done: list[tuple[str, int, Any]] = []

        def op(method: str, amount: int) -> Any:
            return lambda: done.append((method, amount, getattr(acct, method)(amount)))

        in_threads(*((f"Thread-{i} {m}({a})", op(m, a)) for i, (m, a) in enumerate(ops, 1)))
        return acct, done

    return scenario


def _books(start: int, done: list) -> tuple[int, int]:
    deposits = sum(a for m, a, _ in done if m == "deposit")
    withdrawn = sum(a for m, a, ok in done if m == "withdraw" and ok is True)
    return deposits, withdrawn


@check("Account", points=3, scheduled=True,
       en="concurrent withdrawals never overdraw, in every thread schedule",
       zh="在任何线程调度下，同时取款都不会透支")
def test_no_overdraft(locks):
    ops = [("withdraw", 60), ("withdraw", 60), ("withdraw", 50)]

    def verify(o: Outcome) -> Msg | None:
        acct, done = o.value
        _, withdrawn = _books(100, done)
        ok = [f"withdraw({a})" for m, a, r in done if r is True]
        head = Msg(f"余额 100，三个线程同时 withdraw(60)、withdraw(60)、withdraw(50)：返回 True 的是 "
                   f"{'、'.join(ok) or '无'}，最后余额是 {acct.balance!r}。",
                   f"Balance 100, three threads at once: withdraw(60), withdraw(60), withdraw(50). Returned True: "
                   f"{', '.join(ok) or 'none'}; the balance ended at {acct.balance!r}. ")
        if withdrawn > 100:
            return head + Msg(f"成功取走的钱一共 {withdrawn}，超过了账户里的 100：余额检查和扣款不在同一个临界区里。",
                              f"The successful withdrawals add up to {withdrawn}, more than the 100 in the account: "
                              "the balance check and the subtraction are not in one critical section.")
        if acct.balance != 100 - withdrawn:
            return head + Msg(f"按账目应为 100 − {withdrawn} = {100 - withdrawn}。",
                              f"By the books it should be 100 − {withdrawn} = {100 - withdrawn}.")
        return None

    explore(_account_scenario(locks, 100, ops), verify=verify)


@check("Account", points=3, scheduled=True,
       en="concurrent deposits and withdrawals add up, in every thread schedule",
       zh="在任何线程调度下，同时存款和取款的账目都对得上")
def test_books_balance(locks):
    ops = [("deposit", 10), ("deposit", 20), ("withdraw", 30), ("deposit", 40)]

    def verify(o: Outcome) -> Msg | None:
        acct, done = o.value
        deposits, withdrawn = _books(50, done)
        want = 50 + deposits - withdrawn
        if acct.balance != want:
            return Msg(f"余额 50，四个线程同时 deposit(10)、deposit(20)、withdraw(30)、deposit(40)：最后余额是 "
                       f"{acct.balance!r}，账上应为 50 + {deposits} − {withdrawn} = {want}。",
                       f"Balance 50, four threads at once: deposit(10), deposit(20), withdraw(30), deposit(40). "
                       f"The balance ended at {acct.balance!r}; the books say 50 + {deposits} − {withdrawn} = {want}.")
        return None

    explore(_account_scenario(locks, 50, ops), verify=verify)


# ---------------------------------------------------------------- run_both

class Work:
    """The ``work`` callback: records who called it and whether both locks were held."""

    def __init__(self, locks: Any):
        self.locks = locks
        self.calls: list[tuple[str, bool, bool]] = []

    @staticmethod
    def _held(lock: Any) -> bool:
        held = getattr(lock, "held_by_current", None)
        return held() if held is not None else bool(lock.locked())

    def __call__(self, name: str) -> None:
        self.calls.append((name, self._held(self.locks.lock_1), self._held(self.locks.lock_2)))


@check("run_both", points=4, scheduled=True,
       en="no deadlock and one lock order, in every thread schedule",
       zh="在任何线程调度下都不死锁，加锁顺序一致")
def test_no_deadlock(locks):
    explore(lambda: locks.run_both(Work(locks)), lock_order=True)


@check("run_both", points=2, scheduled=True,
       en="work runs once in each function, with both locks held", zh="每个函数都调用 work 一次，而且持有两把锁")
def test_work_with_both_locks(locks):
    work_box: list[Work] = []

    def scenario() -> None:
        work_box[:] = [Work(locks)]
        locks.run_both(work_box[0])

    def verify(o: Outcome) -> Msg | None:
        calls = work_box[0].calls
        names = sorted(name for name, _, _ in calls)
        if names != ["func_1", "func_2"]:
            missing = [n for n in ("func_1", "func_2") if n not in names]
            hint = Msg("", "")
            if missing:
                hint = Msg(f"{'、'.join(missing)} 没有调用 work：acquire(timeout=...) 超时后放弃，就跳过了工作。",
                           f" {', '.join(missing)} never called work: giving up when acquire(timeout=...) times out "
                           "skips the work.")
            return Msg(f"work 被调用的参数是 {names}，应该是 func_1 和 func_2 各一次。",
                       f"work was called with {names}; it should be called once with \"func_1\" and once with "
                       "\"func_2\".") + hint
        for name, has_1, has_2 in calls:
            if not (has_1 and has_2):
                lacking = " and ".join(n for n, h in (("lock_1", has_1), ("lock_2", has_2)) if not h)
                return Msg(f"{name} 调用 work 时没有持有 {lacking}：work 必须在同时持有两把锁时运行。",
                           f"{name} called work without holding {lacking}: work must run while both locks are held.")
        return None

    explore(scenario, verify=verify, lock_order=False)


@check("run_both", points=2, scheduled=True,
       en="func_1 and func_2 run in two threads at once", zh="func_1 和 func_2 在两个线程里同时运行")
def test_both_in_two_threads(locks):
    calls = Calls(locks, "func_1", "func_2")

    def scenario() -> None:
        calls.reset()
        locks.run_both(Work(locks))

    explore(scenario, verify=lambda o: two_threads_at_once(calls, "func_1", "func_2"), schedules=ONE_SCHEDULE,
            lock_order=False)
