"""Hidden tests of ps1_threads. They run in a child process, one check per child.

Concurrency is proven structurally: callbacks record which thread ran them,
barriers prove that calls overlapped (a sequential program breaks the barrier),
and a call "returning early" is seen by what had finished when it returned. The
only waits are bounded ones that a correct program never reaches, or injected
delays long enough that a sleep used as synchronisation is exposed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from autograder.checks import CallLog, call, check, expect, fail, settle

BARRIER_WAIT = 2.0  # seconds a callback waits for the others; only wrong code ever waits this long


class Overlap:
    """A barrier for ``n`` callbacks that records, instead of raising, when they did not overlap."""

    def __init__(self, n: int):
        self.barrier = threading.Barrier(n, timeout=BARRIER_WAIT)
        self.broken = False

    def wait(self) -> None:
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            self.broken = True


def overlapping_calls(n: int, name: str, run: Callable[[CallLog], object]) -> tuple[CallLog, bool]:
    """Run ``run(callback)``, where the student's code should call ``callback`` n times at once.

    Returns the calls and whether they overlapped: every callback waits at a barrier
    for the others, which a program running them one after another never passes.
    """
    overlap = Overlap(n)
    log = CallLog(lambda *args: overlap.wait())
    call(run, log, seconds=4.0, name=name)
    settle(lambda: len(log.calls) >= n, BARRIER_WAIT + 1)  # returning early is another check's business
    return log, not overlap.broken


def _new_threads(before: set[threading.Thread], caller: threading.Thread) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t not in before and t is not caller
            and t is not threading.current_thread() and not t.name.startswith("kit-")]


# ---------------------------------------------------------------- run_low_level

@check("run_low_level", points=2, en="passes every job's arguments, one thread per job, all at once",
       zh="每个任务的参数都原样传入，每个任务一个线程，同时运行")
def test_low_level_args_and_threads(threads):
    overlap = Overlap(3)
    passed = []
    log = CallLog(lambda *args: (overlap.wait(), passed.append(1)))
    jobs = [(log, ()), (log, ("王老大",)), (log, ("王大鹏", "王晓鹏"))]
    called = call(threads.run_low_level, jobs)
    settle(lambda: len(passed) == 3, BARRIER_WAIT + 1)  # returning early is another check's business
    expect(sorted(log.args(), key=len) == [(), ("王老大",), ("王大鹏", "王晓鹏")],
           en="the jobs were called with {got}; expected (), ('王老大',) and ('王大鹏', '王晓鹏')",
           zh="任务收到的参数是 {got}；应该是 ()、('王老大',) 和 ('王大鹏', '王晓鹏')", got=log.args())
    ran_in = log.threads()
    expect(called.thread not in ran_in and threading.main_thread() not in ran_in,
           en="a job ran in the thread that called run_low_level: start each with thread.start_new_thread",
           zh="有任务在调用 run_low_level 的线程里运行：每个任务都要用 thread.start_new_thread 启动")
    expect(not overlap.broken, en="the jobs did not run at the same time",
           zh="这些任务没有同时运行")


@check("run_low_level", points=2, en="returns only after every job has returned, however long it takes",
       zh="所有任务都返回之后才返回，不管任务要多久")
def test_low_level_waits_for_slow_jobs(threads):
    finished = []

    def quick(*_):
        finished.append("quick")

    def slow(seconds):
        threading.Event().wait(seconds)  # a job that takes longer than any fixed sleep would guess
        finished.append("slow")

    call(threads.run_low_level, [(slow, (1.2,)), (quick, ())], seconds=4.0)
    expect(sorted(finished) == ["quick", "slow"],
           en="run_low_level returned while a job was still running: wait for the jobs themselves, "
              "not for a fixed time",
           zh="run_low_level 返回时还有任务没有结束：要等任务本身，而不是等一段固定的时间")


@check("run_low_level", points=2, en="returns also when a job raises",
       zh="某个任务抛出异常时也能返回")
def test_low_level_raising_job(threads):
    finished = []

    def ok(*_):
        finished.append("ok")

    def broken(*_):
        raise ValueError("这个任务出错了 / this job fails")

    call(threads.run_low_level, [(broken, ()), (ok, ())])
    settle(lambda: finished)
    expect(finished == ["ok"], en="the other job did not run", zh="另一个任务没有运行")


SPIN_LINES = 2000  # lines a waiting thread may run while the jobs block for 0.8 s; a spin loop runs far more


@check("run_low_level", points=2, en="waits without busy-waiting (no spinning loop)",
       zh="等待时不忙等（不空转）")
def test_low_level_no_busy_wait(threads):
    def slow(*_):
        threading.Event().wait(0.8)

    lines = call(threads.run_low_level, [(slow, ()), (slow, ())], count_lines=True).lines
    expect(lines < SPIN_LINES,
           en="while waiting 0.8 s for the jobs, run_low_level ran more than {limit} lines of your code: the "
              "wait spins in a loop. Block on a lock instead.",
           zh="在等待任务的 0.8 秒里，run_low_level 执行了你的代码超过 {limit} 行：等待在空转。请改为阻塞在锁上。",
           limit=SPIN_LINES)


# ---------------------------------------------------------------- greet_all

NAMES = ["王老大", "王大鹏", "王晓鹏", "Ann", "李 四"]


@check("greet_all", points=3, en="calls greet once with each whole name",
       zh="每个名字整体调用 greet 一次")
def test_greet_whole_names(threads):
    log = CallLog()
    call(threads.greet_all, NAMES, log)
    settle(lambda: len(log.calls) >= len(NAMES))
    got = sorted(log.args())
    expect(got == sorted((n,) for n in NAMES),
           en="greet was called with {got}; expected one call per name, e.g. ('王老大',). "
              "Is args a tuple? (name) is not, (name,) is.",
           zh="greet 收到的参数是 {got}；每个名字应该调用一次，例如 ('王老大',)。args 是元组吗？(name) 不是，(name,) 才是。",
           got=got)


@check("greet_all", points=2, en="each name is greeted in a thread of its own",
       zh="每个名字在自己的线程里问候")
def test_greet_threads(threads):
    log = CallLog()
    called = call(threads.greet_all, NAMES[:3], log)
    settle(lambda: len(log.calls) >= 3)
    ran_in = log.threads()
    expect(len(ran_in) == 3, en="greet was called {n} times for 3 names", zh="3 个名字调用了 greet {n} 次",
           n=len(ran_in))
    expect(called.thread not in ran_in, en="greet ran in the thread that called greet_all, not in new threads",
           zh="greet 在调用 greet_all 的线程里运行，而不是在新线程里")
    expect(len(set(ran_in)) == 3, en="the names shared threads: one thread per name",
           zh="几个名字共用了线程：每个名字一个线程")


@check("greet_all", points=2, en="all threads are started before any is joined",
       zh="先启动全部线程，再逐个 join")
def test_greet_concurrent(threads):
    log, overlapped = overlapping_calls(4, "greet_all", lambda greet: threads.greet_all(NAMES[:4], greet))
    expect(len(log.calls) == 4, en="greet was called {n} times for 4 names", zh="4 个名字调用了 greet {n} 次",
           n=len(log.calls))
    expect(overlapped, en="the greetings ran one after another: start every thread first, then join them",
           zh="问候是一个接一个运行的：先启动全部线程，再 join")


@check("greet_all", points=1, en="returns only after every greeting has finished",
       zh="所有问候都结束后才返回")
def test_greet_joined(threads):
    finished = []

    def greet(*name):  # any arguments: this check is about joining, not about args
        threading.Event().wait(0.3)
        finished.append(name)

    call(threads.greet_all, NAMES[:2], greet)
    expect(len(finished) == 2, en="greet_all returned before the greetings finished: join every thread",
           zh="greet_all 在问候结束之前就返回了：要 join 每一个线程")


# ---------------------------------------------------------------- run_loops

@check("run_loops", points=3, en="calls loop(name, seconds) for every entry, each in a new thread",
       zh="对每一项调用 loop(name, seconds)，每个都在新线程里")
def test_loops_in_threads(threads):
    log = CallLog()
    delays = {"LOOP1": 0.02, "LOOP2": 0.01, "王老大": 0.0}
    called = call(threads.run_loops, delays, log)
    settle(lambda: len(log.calls) >= len(delays))
    expect(sorted(log.args()) == sorted(delays.items()),
           en="loop was called with {got}; expected {want}", zh="loop 收到的参数是 {got}；应该是 {want}",
           got=sorted(log.args()), want=sorted(delays.items()))
    ran_in = log.threads()
    if called.thread in ran_in:
        fail(en="loop ran in the thread that called run_loops, while the Thread objects were being built: "
                "target=loop(name, seconds) calls it right away. Pass target=loop, args=(name, seconds).",
             zh="loop 在调用 run_loops 的线程里、创建 Thread 的时候就运行了：target=loop(name, seconds) 会立刻调用它。"
                "应该写 target=loop, args=(name, seconds)。")
    expect(len(set(ran_in)) == len(delays), en="the loops shared threads: one thread per loop",
           zh="几个 loop 共用了线程：每个 loop 一个线程")


@check("run_loops", points=3, en="all loops run at the same time", zh="所有 loop 同时运行")
def test_loops_concurrent(threads):
    log, overlapped = overlapping_calls(3, "run_loops",
                                        lambda loop: threads.run_loops({"A": 0.01, "B": 0.02, "C": 0.03}, loop))
    expect(len(log.calls) == 3, en="loop was called {n} times for 3 entries", zh="3 项调用了 loop {n} 次",
           n=len(log.calls))
    expect(overlapped, en="the loops ran one after another: start every thread before joining any",
           zh="这些 loop 是一个接一个运行的：先启动全部线程，再 join")


@check("run_loops", points=2, en="returns only after every loop has finished",
       zh="所有 loop 都结束后才返回")
def test_loops_joined(threads):
    finished = []

    def loop(*args):
        threading.Event().wait(0.5 if args[:1] == ("LOOP1",) else 0.4)
        finished.append(args[0] if args else None)

    call(threads.run_loops, {"LOOP1": 0.4, "LOOP2": 0.2}, loop)
    expect(sorted(finished) == ["LOOP1", "LOOP2"],
           en="run_loops returned while loops were still running: join every thread",
           zh="run_loops 返回时还有 loop 没结束：要 join 每一个线程")


# ---------------------------------------------------------------- SquareThread

def _square_log() -> CallLog:
    return CallLog(lambda n: n * n + 1000)  # not the plain square: the function passed in must be used


@check("SquareThread", points=2, en="SquareThread is a Thread that start() runs in a new thread",
       zh="SquareThread 是可以用 start() 在新线程里运行的 Thread")
def test_square_thread_class(threads):
    log = _square_log()
    t = threads.SquareThread(7, log)
    expect(isinstance(t, threading.Thread), en="SquareThread(7) is not a threading.Thread",
           zh="SquareThread(7) 不是 threading.Thread")
    try:
        t.start()
    except RuntimeError as exc:
        fail(en="SquareThread(7).start() raised RuntimeError: {exc}. Call super().__init__() in __init__.",
             zh="SquareThread(7).start() 抛出 RuntimeError：{exc}。在 __init__ 里调用 super().__init__()。", exc=exc)
    t.join(3.0)
    expect(not t.is_alive(), en="the thread did not finish within 3 s", zh="线程 3 秒内没有结束")
    expect(log.args() == [(7,)] and log.threads() == [t],
           en="run() should call square(7) in the SquareThread itself; calls seen: {got}",
           zh="run() 应该在 SquareThread 自己的线程里调用 square(7)；实际的调用：{got}",
           got=[(c.args, c.thread.name) for c in log.calls])
    expect(t.result == 7 * 7 + 1000, en="result is {got!r}, expected square(7) == {want}",
           zh="result 是 {got!r}，应该是 square(7) == {want}", got=t.result, want=7 * 7 + 1000)


@check("SquareThread", points=2, en="squares_in_threads runs each number in its own started SquareThread",
       zh="squares_in_threads 为每个数启动一个 SquareThread")
def test_squares_use_threads(threads):
    log = _square_log()
    called = call(threads.squares_in_threads, [2, 3, 4], log)
    ran_in = log.threads()
    expect(len(ran_in) == 3, en="square was called {n} times for 3 numbers", zh="3 个数调用了 square {n} 次",
           n=len(ran_in))
    if called.thread in ran_in:
        fail(en="square ran in the thread that called squares_in_threads: run() was called directly. "
                "start() runs run() in the new thread.",
             zh="square 在调用 squares_in_threads 的线程里运行：直接调用了 run()。start() 才会在新线程里运行 run()。")
    expect(all(isinstance(t, threads.SquareThread) for t in ran_in) and len(set(ran_in)) == 3,
           en="each number should run in its own SquareThread (ran in {got})",
           zh="每个数应该在自己的 SquareThread 里运行（实际在 {got}）", got=[t.name for t in ran_in])


@check("SquareThread", points=2, en="all SquareThreads are started before any is joined",
       zh="先启动全部 SquareThread，再逐个 join")
def test_squares_concurrent(threads):
    overlap = Overlap(4)

    def square(n):
        overlap.wait()
        return n * n

    call(threads.squares_in_threads, [1, 2, 3, 4], square, seconds=4.0)
    expect(not overlap.broken, en="the threads ran one after another: start them all, then join them",
           zh="这些线程是一个接一个运行的：先全部 start，再 join")


@check("SquareThread", points=2, en="results come back in input order, whoever finishes first",
       zh="结果按输入顺序返回，不管谁先结束")
def test_squares_order(threads):
    numbers = [12, -3, 0, 5, 7]
    others_done = threading.Semaphore(0)

    def square(n):
        if n == numbers[0]:  # the first number finishes last
            deadline = time.monotonic() + BARRIER_WAIT
            for _ in numbers[1:]:
                others_done.acquire(timeout=max(0.0, deadline - time.monotonic()))
        else:
            others_done.release()
        return n * n + 1000

    result = call(threads.squares_in_threads, numbers, square, seconds=4.0).value
    want = [n * n + 1000 for n in numbers]
    if isinstance(result, list) and result != want and sorted(result) == sorted(want):
        # which wrong order came out depends on timing: say what is wrong, not the order seen
        fail(en="squares_in_threads({numbers}) returned the right squares in another order: results must "
                "follow the input order, whichever thread finishes first",
             zh="squares_in_threads({numbers}) 返回的平方对了，但顺序不对：结果必须按输入顺序，不管哪个线程先结束",
             numbers=numbers)
    expect(result == want, en="squares_in_threads({numbers}) returned {got!r}; expected {want!r} (input order)",
           zh="squares_in_threads({numbers}) 返回 {got!r}；应该是 {want!r}（输入顺序）",
           numbers=numbers, got=result, want=want)


# ---------------------------------------------------------------- run_in_order

@check("run_in_order", points=3, en="second() waits for first() however long first takes",
       zh="不管 first() 要多久，second() 都等它返回")
def test_order_waits(threads):
    events = []
    second_called = threading.Event()

    def first():
        second_called.wait(1.2)  # wakes at once if second() is called too early
        events.append("first returned")

    def second():
        second_called.set()
        events.append("second called")

    call(threads.run_in_order, first, second, seconds=4.0)
    settle(lambda: len(events) >= 2)
    expect(events == ["first returned", "second called"],
           en="calls happened in this order: {got}. second() must wait until first() has returned; "
              "a sleep only guesses how long first() takes.",
           zh="调用的顺序是：{got}。second() 必须等到 first() 返回之后；sleep 只是在猜 first() 要多久。",
           got=events)


@check("run_in_order", points=2, en="first and second run in two new threads",
       zh="first 和 second 在两个新线程里运行")
def test_order_threads(threads):
    log_first, log_second = CallLog(), CallLog()
    called = call(threads.run_in_order, log_first, log_second)
    settle(lambda: log_first.calls and log_second.calls)
    expect(len(log_first.calls) == 1 and len(log_second.calls) == 1,
           en="first was called {a} times and second {b} times", zh="first 调用了 {a} 次，second 调用了 {b} 次",
           a=len(log_first.calls), b=len(log_second.calls))
    t1, t2 = log_first.calls[0].thread, log_second.calls[0].thread
    expect(called.thread not in (t1, t2), en="a call ran in the thread that called run_in_order",
           zh="有调用在调用 run_in_order 的线程里运行")
    expect(t1 is not t2, en="first and second ran in the same thread", zh="first 和 second 在同一个线程里运行")


@check("run_in_order", points=2, en="both threads are started together, before first() returns",
       zh="两个线程一起启动，在 first() 返回之前")
def test_order_started_together(threads):
    before = set(threading.enumerate())
    seen_others = []

    def first():
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:  # bounded: a correct program starts the second thread at once
            others = _new_threads(before, threading.current_thread())
            if others:
                seen_others.extend(others)
                return
            time.sleep(0.005)

    second_done = threading.Event()
    call(threads.run_in_order, first, second_done.set)
    second_done.wait(2.0)  # first() has returned by then, whenever run_in_order itself returned
    expect(seen_others, en="while first() ran, no second thread had been started: start both threads, "
                           "then let the second one wait",
           zh="first() 运行的时候第二个线程还没有启动：先启动两个线程，再让第二个线程等待")


@check("run_in_order", points=1, en="returns after both calls have returned",
       zh="两个调用都返回之后才返回")
def test_order_joined(threads):
    done = []

    def second():
        threading.Event().wait(0.3)
        done.append("second")

    call(threads.run_in_order, lambda: done.append("first"), second)
    expect(done == ["first", "second"], en="run_in_order returned before both calls had returned: join both threads",
           zh="run_in_order 在两个调用都返回之前就返回了：要 join 两个线程")
