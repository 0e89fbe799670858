"""Hidden tests of ps4_processes. They run in a child process, one check per child.

Real processes, under each start method: the grader's functions are module-level (every start
method can pickle them) and return the ``os.getpid()`` and ``os.getppid()`` of the process that
ran them, so "it ran in a child of the caller" is a fact, not a guess. Under ``fork`` and
``spawn`` a child's parent is the caller; under ``forkserver`` it is the server. Under ``spawn``
and ``forkserver`` the ``map_in_processes`` checks start children as ``python processes.py``
would: each child runs the student's file as ``__mp_main__``, so module-level code that starts
processes fails there as it does for real; so do the other exercises' ``spawn`` checks (such a
mistake breaks every exercise under spawn, as COURSE.md allows). Their ``forkserver`` checks
preload the student's module in the server instead (a documented multiprocessing feature).

Every call is :func:`autograder.proctree.call`: a deadlock of the whole process tree (a parent
in ``join()`` while its child cannot end, consumers waiting for a sentinel that never comes)
ends the check at once with where each process was. Order checks make the first item finish
last (files in a folder); every other check compares results order-insensitively, so a wrong
order costs points in the order check only. Leftover processes are read from ``/proc``.

This module must import with the standard library only: the student's code may run under
another CPython (``grade --python``), which has no psutil.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import shutil
import tempfile
import time
from multiprocessing.process import BaseProcess

from autograder import proctree
from autograder.checks import CheckFailed, check, expect, fail, settle
from autograder.i18n import Msg

BIG = 1 << 20  # bytes of a "large" result: far more than a pipe holds (64 KiB)
ORDER_WAIT = 3.0  # seconds the first item waits for the others at most; only wrong code waits that long
CALL_LIMIT = 8.0  # seconds a call may take; a correct solution needs well under one


# ---------------------------------------------------------------- the grader's functions (run in children)

def square_report(item):
    """f: the square of ``item`` and which process computed it."""
    return ("平方", item, item * item, os.getpid(), os.getppid())


def big_report(item):
    """f with a large result: a megabyte that must travel back through a pipe."""
    return ("大", item, os.getpid(), os.getppid(), b"Z" * BIG)


def _wait_or_mark(index: int, folder: str, count: int) -> None:
    """Index 0 waits (bounded) until the ``count - 1`` others have left a mark and the processes that
    left them have ended; the others leave a mark. A process ends only after its queue has written
    everything it put into the pipe, so the others' results are in the pipe before index 0 returns."""
    if index == 0:
        deadline = time.monotonic() + ORDER_WAIT
        while time.monotonic() < deadline:
            marks = os.listdir(folder)
            if len(marks) >= count - 1 and all(proctree.state(int(m.split("-")[1])) in (None, "Z") for m in marks):
                break
            time.sleep(0.005)
    else:
        with open(os.path.join(folder, f"{index}-{os.getpid()}"), "w"):
            pass


def first_finishes_last(item):
    """f for the order checks: ``item`` is ``(index, folder, count)``; index 0 finishes last, after the
    processes that computed the others have ended (consumers end once they got their sentinel)."""
    index, folder, count = item
    _wait_or_mark(index, folder, count)
    return ("顺序", index, os.getpid(), os.getppid())


class Slow(int):
    """An int whose square (``n * n`` or ``n ** 2``) waits, for the first number, until the others'
    squares are done: SquareProcess then finishes the first number last. Set up by the check
    (``fork``: the children inherit the class attributes)."""

    folder = ""
    first = 0
    count = 0

    def _square(self) -> int:
        if Slow.folder:
            _wait_or_mark(0 if int(self) == Slow.first else int(self), Slow.folder, Slow.count)
        return int(self) * int(self)

    def __mul__(self, other):
        return self._square() if other == self else int(self) * other

    __rmul__ = __mul__

    def __pow__(self, other, mod=None):
        return self._square() if other == 2 and mod is None else pow(int(self), other, mod)

    def __reduce__(self):
        return (Slow, (int(self),))


# ---------------------------------------------------------------- helpers

def _use(method: str, module=None) -> None:
    """Make ``method`` the default start method; under forkserver, preload the student's module."""
    multiprocessing.set_start_method(method, force=True)
    if method == "forkserver" and module is not None:
        multiprocessing.set_forkserver_preload([module.__name__])


def _as_run_by_python(module, method: str):
    """Under spawn, children start as they would under ``python processes.py`` (the student's file
    runs again as ``__mp_main__`` in each); fork and forkserver need nothing."""
    if method == "spawn":
        return proctree.student_as_main(module)
    return contextlib.nullcontext()


def _parents() -> set[int]:
    """The processes a child of the caller may have as parent: the caller, or the forkserver."""
    allowed = {os.getpid()}
    try:
        from multiprocessing import forkserver

        server = forkserver._forkserver._forkserver_pid
        if server:
            allowed.add(server)
    except (ImportError, AttributeError):
        pass
    return allowed


def _short(value: object, limit: int = 200) -> str:
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        value = [tuple("<1 MB>" if isinstance(x, bytes) else x for x in v) for v in value]
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _printed(marker: str) -> bool:
    """Whether this check's standard output (which the children share) holds ``marker``."""
    try:
        with open(os.readlink("/proc/self/fd/1"), encoding="utf-8", errors="replace") as fh:
            return marker in fh.read()
    except OSError:
        return False


def _folder(prefix: str) -> str:
    return tempfile.mkdtemp(prefix=prefix, dir=os.getcwd())


def _expect_in_children(pids: list[int], ppids: list[int], what: str, method: str) -> None:
    """Each pid is a process other than the caller, and its parent the caller (or the forkserver)."""
    me = os.getpid()
    expect(me not in pids,
           en="under the {method} start method, {what} ran in the process that called your function, not in a "
              "child process: start a multiprocessing.Process (threads share the caller's process)",
           zh="在 {method} 启动方式下，{what} 在调用你的函数的进程里运行，而不是在子进程里："
              "要启动 multiprocessing.Process（线程和调用者在同一个进程里）", method=method, what=what)
    allowed = _parents()
    expect(all(ppid in allowed for ppid in ppids),
           en="under the {method} start method, {what} ran in a process whose parent is neither your process nor "
              "the forkserver: start the processes from the function itself",
           zh="在 {method} 启动方式下，{what} 所在进程的父进程既不是你的进程，也不是 forkserver："
              "要在函数里直接启动子进程", method=method, what=what)


def _expect_all_joined(before: set[int], what: str) -> None:
    """No process started since ``before`` is still running or left unjoined (a zombie)."""
    settle(lambda: "alive" not in proctree.leftovers(before).values(), 1.0)
    left = proctree.leftovers(before)
    names = proctree.process_names()
    alive = sorted(names.get(pid, "?") for pid, st in left.items() if st == "alive")
    expect(not alive,
           en="after {what} returned, child processes were still running: {names}. Every process must have ended "
              "and been joined before the function returns (a consumer that never gets its sentinel never ends)",
           zh="{what} 返回之后，子进程还在运行：{names}。函数返回之前，每个进程都要结束并且被 join"
              "（收不到哨兵的消费者永远不会结束）", what=what, names=", ".join(alive))
    expect(not left,
           en="after {what} returned, some of its child processes had ended but were never joined: call join() on "
              "every process you start (join() also reaps it; without it the ended child stays a zombie)",
           zh="{what} 返回之后，有的子进程已经结束，却从没有被 join：对你启动的每个进程都调用 join()"
              "（join() 同时回收它；不 join，结束的子进程就一直是僵尸进程）", what=what)


def _explain_full_pipe(tree: proctree.TreeView) -> Msg | None:
    """The classic deadlock: the parent joins a child whose large result is still in the pipe."""
    writing = any(c.in_function("_feed") or c.in_function("_send") for c in tree.children)
    if tree.caller_in("join") and writing:
        return Msg(
            "父进程在 join() 里等子进程结束，子进程却结束不了：它的结果（1 MB）还在管道里。管道只能装大约 64 KiB，"
            "要等父进程读走数据，子进程才能写完、退出；可父进程要等 join() 返回之后才去读。先读完所有结果"
            "（results.get()），再 join。",
            "The parent waits in join() for a child to end, while the child cannot end: its result (1 MB) is still "
            "in the pipe. A pipe holds only about 64 KiB, so the child can finish writing and exit only once the "
            "parent reads, and the parent reads only after join() returns. Read every result first "
            "(results.get()), then join.")
    return None


def _explain_consumers(tree: proctree.TreeView) -> Msg | None:
    if tree.caller_in("join") and any(c.in_function("get") for c in tree.children):
        return Msg("有的消费者还在 get() 里等下一个 item：每个消费者都要收到一个哨兵才会结束（一个消费者一个哨兵）。",
                   "Some consumers still wait in get() for another item: each consumer ends only when it gets a "
                   "sentinel of its own (one sentinel per consumer).")
    if tree.caller_in("join"):
        return Msg("JoinableQueue.join() 要等到每个 put() 进去的 item（包括哨兵）都有一次 task_done()。",
                   "JoinableQueue.join() waits until task_done() has been called once for every item put() on it, "
                   "sentinels included.")
    return None


# ---------------------------------------------------------------- map_in_processes

ITEMS = [3, -1, 4, 12]


def _map_checked(processes, method: str) -> None:
    _use(method)
    if method == "fork":
        got = proctree.call(processes.map_in_processes, square_report, ITEMS, seconds=CALL_LIMIT).value
    else:
        with proctree.student_as_main(processes):
            got = proctree.call(processes.map_in_processes, square_report, ITEMS, seconds=CALL_LIMIT).value
    shaped = isinstance(got, list) and all(isinstance(r, tuple) and len(r) == 5 and r[0] == "平方" for r in got)
    if not shaped and _printed("('平方', "):
        fail(en="map_in_processes returned {got}, but the results were printed by the child processes: a child's "
                "print() and return value never reach the parent. Send each result back through a "
                "multiprocessing.Queue (or a Pipe) and return them.",
             zh="map_in_processes 返回 {got}，结果却被子进程打印出来了：子进程的 print() 和返回值都到不了父进程。"
                "要通过 multiprocessing.Queue（或 Pipe）把每个结果送回来，再返回它们。", got=_short(got))
    expect(shaped and len(got) == len(ITEMS),
           en="map_in_processes(f, {items}) returned {got}; expected a list holding f(item) for every item",
           zh="map_in_processes(f, {items}) 返回 {got}；应该是每个 item 的 f(item) 组成的列表", items=ITEMS,
           got=_short(got))
    values = sorted(r[1:3] for r in got)
    want = sorted((i, i * i) for i in ITEMS)
    expect(values == want, en="map_in_processes returned the results {got}; expected f(item) for the items {items}",
           zh="map_in_processes 返回的结果是 {got}；应该是 item {items} 的 f(item)", got=_short(got), items=ITEMS)
    _expect_in_children([r[3] for r in got], [r[4] for r in got], "f", method)
    expect(len({r[3] for r in got}) == len(ITEMS),
           en="f ran in {n} different processes for {m} items: start one process per item",
           zh="{m} 个 item 的 f 只在 {n} 个不同的进程里运行：每个 item 要启动一个进程", n=len({r[3] for r in got}),
           m=len(ITEMS))


@check("map_in_processes", points=1.5, en="returns f(item) for every item, each computed in a child process (fork)",
       zh="返回每个 item 的 f(item)，每个都在子进程里计算（fork）")
def test_map_fork(processes):
    _map_checked(processes, "fork")


@check("map_in_processes", points=1.5, en="returns f(item) for every item, each computed in a child process (spawn)",
       zh="返回每个 item 的 f(item)，每个都在子进程里计算（spawn）")
def test_map_spawn(processes):
    _map_checked(processes, "spawn")


@check("map_in_processes", points=1.5,
       en="returns f(item) for every item, each computed in a child process (forkserver)",
       zh="返回每个 item 的 f(item)，每个都在子进程里计算（forkserver）")
def test_map_forkserver(processes):
    _map_checked(processes, "forkserver")


@check("map_in_processes", points=1, en="returns the results in input order, whichever finishes first",
       zh="按输入的顺序返回结果，不管哪个先完成")
def test_map_order(processes):
    _use("fork")
    folder = _folder("kit-order-")
    try:
        items = [(i, folder, 4) for i in range(4)]
        got = proctree.call(processes.map_in_processes, first_finishes_last, items, seconds=CALL_LIMIT).value
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    indexes = [r[1] for r in got] if isinstance(got, list) and all(isinstance(r, tuple) and len(r) == 4
                                                                    for r in got) else None
    if indexes is not None and indexes != [0, 1, 2, 3] and sorted(indexes) == [0, 1, 2, 3]:
        fail(en="map_in_processes returned the right results in another order: the first item finished last, and "
                "the results must follow the order of the items. Send each result with its index and put them "
                "back in order.",
             zh="map_in_processes 返回的结果对了，顺序却不对：第一个 item 最后完成，结果必须按 item 的顺序排列。"
                "把每个结果和它的下标一起送回来，再按下标排好。")
    expect(indexes == [0, 1, 2, 3], en="map_in_processes returned {got}; expected the results of the items 0, 1, 2, 3",
           zh="map_in_processes 返回 {got}；应该是 item 0、1、2、3 的结果", got=_short(got))


@check("map_in_processes", points=1.5, en="results of a megabyte each do not deadlock (read before join)",
       zh="每个结果 1 MB 时也不会死锁（先读结果再 join）")
def test_map_big(processes):
    _use("fork")
    items = [1, 2, 3]
    got = proctree.call(processes.map_in_processes, big_report, items, seconds=CALL_LIMIT,
                        explain=_explain_full_pipe).value
    ok = isinstance(got, list) and all(isinstance(r, tuple) and len(r) == 5 and r[0] == "大" for r in got)
    expect(ok and sorted(r[1] for r in got) == items,
           en="map_in_processes returned {got}; expected f(item) for the items {items}",
           zh="map_in_processes 返回 {got}；应该是 item {items} 的 f(item)", got=_short(got), items=items)
    expect(all(r[4] == b"Z" * BIG for r in got),
           en="a result of 1 MB came back damaged or cut short", zh="1 MB 的结果送回来时损坏了或者不完整")


@check("map_in_processes", points=1, en="joins every process: none is left running or unjoined",
       zh="join 每个进程：没有进程还在运行或者没被 join")
def test_map_joined(processes):
    _use("fork")
    before = set(proctree.descendants(os.getpid()))
    proctree.call(processes.map_in_processes, square_report, [5, 6, 7], seconds=CALL_LIMIT)
    _expect_all_joined(before, "map_in_processes")


# ---------------------------------------------------------------- SquareProcess

def _expect_set_up(p, processes) -> None:
    expect(isinstance(p, BaseProcess), en="SquareProcess is not a subclass of multiprocessing.Process",
           zh="SquareProcess 不是 multiprocessing.Process 的子类")
    expect("_popen" in vars(p) and "_config" in vars(p),
           en="SquareProcess.__init__ does not call super().__init__(): multiprocessing.Process is never set up, "
              "so start() cannot work. Call super().__init__() in __init__.",
           zh="SquareProcess.__init__ 没有调用 super().__init__()：multiprocessing.Process 没有初始化，"
              "start() 就没法工作。要在 __init__ 里调用 super().__init__()。")


def _new_square(processes, n: int, results):
    """``SquareProcess(n, results)``, bounded (a constructor may hang too), checked to be set up."""
    p = proctree.call(processes.SquareProcess, n, results, seconds=5.0, name="SquareProcess").value
    _expect_set_up(p, processes)
    return p


def _square_started(processes, method: str) -> None:
    _use(method, processes)
    results = multiprocessing.Queue()
    p = _new_square(processes, 7, results)

    def start_and_read():
        p.start()
        try:
            got = results.get(timeout=CALL_LIMIT / 2)
        except queue.Empty:
            got = None
        p.join()
        return got

    with _as_run_by_python(processes, method):
        got = proctree.call(start_and_read, seconds=CALL_LIMIT, name="SquareProcess(7, results).start").value
    if got is None and (errors := proctree.child_errors()):
        from autograder import child

        raise CheckFailed(Msg("SquareProcess(7, results).start() 之后，results 什么也没收到：子进程出错结束了。",
                              "After SquareProcess(7, results).start(), results got nothing: the child process "
                              "ended with an error.") + proctree.describe_errors(errors, child.LOCATOR))
    expect(isinstance(got, tuple) and len(got) == 4,
           en="after SquareProcess(7, results).start(), results got {got}; expected (n, n * n, os.getpid(), "
              "os.getppid()) put by run()",
           zh="SquareProcess(7, results).start() 之后，results 收到 {got}；应该是 run() 放进去的 "
              "(n, n * n, os.getpid(), os.getppid())", got=_short(got))
    expect(got[:2] == (7, 49), en="SquareProcess(7, results) put {got}; expected (7, 49, pid, ppid)",
           zh="SquareProcess(7, results) 放进去的是 {got}；应该是 (7, 49, pid, ppid)", got=_short(got))
    _expect_in_children([got[2]], [got[3]], "run()", method)
    expect(got[2] == p.pid, en="run() reported the pid {got}, not the pid of the process that ran it",
           zh="run() 报告的进程号不是运行它的进程的进程号", got=got[2])


@check("SquareProcess", points=1.5, en="start() runs run() in a new process that puts (n, n*n, pid, ppid) (fork)",
       zh="start() 在新进程里运行 run()，放入 (n, n*n, pid, ppid)（fork）")
def test_square_process_fork(processes):
    _square_started(processes, "fork")


@check("SquareProcess", points=1, en="start() runs run() in a new process that puts (n, n*n, pid, ppid) (spawn)",
       zh="start() 在新进程里运行 run()，放入 (n, n*n, pid, ppid)（spawn）")
def test_square_process_spawn(processes):
    _square_started(processes, "spawn")


@check("SquareProcess", points=1,
       en="start() runs run() in a new process that puts (n, n*n, pid, ppid) (forkserver)",
       zh="start() 在新进程里运行 run()，放入 (n, n*n, pid, ppid)（forkserver）")
def test_square_process_forkserver(processes):
    _square_started(processes, "forkserver")


class StartLog:
    """Records every multiprocessing process started (``start()`` returned) while it is active."""

    def __enter__(self) -> StartLog:
        self.started: list[BaseProcess] = []
        self._original = BaseProcess.start
        log, original = self.started, self._original

        def start(proc):
            original(proc)
            log.append(proc)

        BaseProcess.start = start
        return self

    def __exit__(self, *exc: object) -> None:
        BaseProcess.start = self._original


@check("SquareProcess", points=2, en="squares_in_processes starts one SquareProcess per number",
       zh="squares_in_processes 每个数启动一个 SquareProcess")
def test_squares_started(processes):
    _use("fork")
    _new_square(processes, 1, multiprocessing.Queue())
    numbers = [3, 1, 2, 5]
    with StartLog() as log:
        got = proctree.call(processes.squares_in_processes, numbers, seconds=CALL_LIMIT).value
    expect(isinstance(got, list) and sorted(got) == sorted(n * n for n in numbers),
           en="squares_in_processes({numbers}) returned {got}; expected the square of every number",
           zh="squares_in_processes({numbers}) 返回 {got}；应该是每个数的平方", numbers=numbers, got=_short(got))
    squares = [p for p in log.started if isinstance(p, processes.SquareProcess)]
    expect(squares, en="squares_in_processes started no process: calling run() runs it in the calling process, "
                       "like any method; start() is what starts a new process that runs run()",
           zh="squares_in_processes 没有启动任何进程：直接调用 run() 就像调用普通方法一样，在当前进程里运行；"
              "start() 才会启动新进程去执行 run()")
    expect(len(squares) == len(numbers), en="squares_in_processes started {n} SquareProcess for {m} numbers; expected one "
                                            "per number",
           zh="squares_in_processes 为 {m} 个数启动了 {n} 个 SquareProcess；应该每个数一个", n=len(squares),
           m=len(numbers))


@check("SquareProcess", points=1, en="squares_in_processes returns the squares in input order",
       zh="squares_in_processes 按输入的顺序返回平方")
def test_squares_order(processes):
    _use("fork")
    _new_square(processes, 1, multiprocessing.Queue())
    folder = _folder("kit-order-")
    numbers = [Slow(n) for n in (4, 2, 3, 5)]
    Slow.folder, Slow.first, Slow.count = folder, 4, len(numbers)
    try:
        got = proctree.call(processes.squares_in_processes, numbers, seconds=CALL_LIMIT).value
    finally:
        Slow.folder = ""
        shutil.rmtree(folder, ignore_errors=True)
    want = [16, 4, 9, 25]
    if isinstance(got, list) and got != want and sorted(got) == sorted(want):
        fail(en="squares_in_processes returned the right squares in another order: the first number finished last, "
                "and the squares must follow the order of the numbers (run() puts n with its square: use it)",
             zh="squares_in_processes 返回的平方对了，顺序却不对：第一个数最后算完，结果必须按数的顺序排列"
                "（run() 把 n 和它的平方一起放进去：用上它）")
    expect(got == want, en="squares_in_processes([4, 2, 3, 5]) returned {got}; expected {want}",
           zh="squares_in_processes([4, 2, 3, 5]) 返回 {got}；应该是 {want}", got=_short(got), want=want)


@check("SquareProcess", points=1.5, en="squares_in_processes joins every process it starts",
       zh="squares_in_processes join 它启动的每个进程")
def test_squares_joined(processes):
    _use("fork")
    _new_square(processes, 1, multiprocessing.Queue())
    before = set(proctree.descendants(os.getpid()))
    proctree.call(processes.squares_in_processes, [2, 3], seconds=CALL_LIMIT)
    _expect_all_joined(before, "squares_in_processes")


# ---------------------------------------------------------------- consume_all

CONSUME_ITEMS = [4, 1, 3, 2, 6, 5]


def _consume_checked(processes, method: str, n_consumers: int = 3) -> None:
    _use(method, processes)
    with _as_run_by_python(processes, method):
        got = proctree.call(processes.consume_all, CONSUME_ITEMS, n_consumers, square_report, seconds=CALL_LIMIT,
                            explain=_explain_consumers).value
    shaped = isinstance(got, list) and all(isinstance(r, tuple) and len(r) == 5 and r[0] == "平方" for r in got)
    values = sorted(r[1:3] for r in got) if shaped else None
    want = sorted((i, i * i) for i in CONSUME_ITEMS)
    if values != want and isinstance(got, list) and (not shaped or len(got) < len(CONSUME_ITEMS)):
        fail(en="consume_all returned {n} result(s) for {m} items ({got}): results are lost. Processes share no "
                "state: a list or dict that a consumer changes stays in the consumer's process. Send every result "
                "back through a multiprocessing.Queue and read them all.",
             zh="consume_all 为 {m} 个 item 返回了 {n} 个结果（{got}）：结果丢了。进程之间没有共享状态："
                "消费者改动的列表或字典只在消费者自己的进程里。要通过 multiprocessing.Queue 把每个结果送回来，"
                "并且全部读出来。", n=len(got), m=len(CONSUME_ITEMS), got=_short(got))
    expect(values == want, en="consume_all({items}, {n}, f) returned {got}; expected f(item) for every item",
           zh="consume_all({items}, {n}, f) 返回 {got}；应该是每个 item 的 f(item)", items=CONSUME_ITEMS,
           n=n_consumers, got=_short(got))
    _expect_in_children([r[3] for r in got], [r[4] for r in got], "f", method)
    expect(len({r[3] for r in got}) <= n_consumers,
           en="with {n} consumers, f ran in {m} different processes: the consumers take the items from the queue",
           zh="有 {n} 个消费者，f 却在 {m} 个不同的进程里运行：应该由消费者从队列里取 item", n=n_consumers,
           m=len({r[3] for r in got}))


@check("consume_all", points=1.5, en="consumer processes compute f(item) for every item (fork)",
       zh="消费者进程计算每个 item 的 f(item)（fork）")
def test_consume_fork(processes):
    _consume_checked(processes, "fork")


@check("consume_all", points=1, en="consumer processes compute f(item) for every item (spawn)",
       zh="消费者进程计算每个 item 的 f(item)（spawn）")
def test_consume_spawn(processes):
    _consume_checked(processes, "spawn", n_consumers=2)


@check("consume_all", points=1, en="consumer processes compute f(item) for every item (forkserver)",
       zh="消费者进程计算每个 item 的 f(item)（forkserver）")
def test_consume_forkserver(processes):
    _consume_checked(processes, "forkserver", n_consumers=2)


class JoinableLog:
    """Records every multiprocessing.JoinableQueue made while it is active."""

    def __enter__(self) -> JoinableLog:
        from multiprocessing import queues

        self.made: list = []
        self._cls = queues.JoinableQueue
        self._original = self._cls.__init__
        made, original = self.made, self._original

        def init(q, *args, **kwargs):
            original(q, *args, **kwargs)
            made.append(q)

        self._cls.__init__ = init
        return self

    def __exit__(self, *exc: object) -> None:
        self._cls.__init__ = self._original


@check("consume_all", points=2, en="a JoinableQueue with task_done() for every item, sentinels included",
       zh="用 JoinableQueue，每个 item（包括哨兵）都调用 task_done()")
def test_consume_task_done(processes):
    _use("fork")
    n_consumers = 2
    with JoinableLog() as log:
        proctree.call(processes.consume_all, [7, 8, 9], n_consumers, square_report, seconds=CALL_LIMIT,
                      explain=_explain_consumers)
    expect(log.made, en="consume_all made no multiprocessing.JoinableQueue: hand the items to the consumers through "
                        "one, so that task_done() and join() can tell when every item is done",
           zh="consume_all 没有创建 multiprocessing.JoinableQueue：要通过它把 item 交给消费者，"
              "task_done() 和 join() 才能知道每个 item 是否都处理完了")
    pending = sum(q._unfinished_tasks.get_value() for q in log.made)
    if pending == n_consumers:
        fail(en="task_done() was never called for the {n} sentinels: a consumer must call task_done() for every "
                "item it takes from the queue, the sentinel included (try/finally does it)",
             zh="{n} 个哨兵都没有调用 task_done()：消费者从队列里取出的每个 item，包括哨兵，都要调用 task_done()"
                "（用 try/finally）", n=n_consumers)
    expect(pending == 0, en="{n} item(s) taken from the JoinableQueue never got their task_done(): call it once for "
                            "every item, sentinels included",
           zh="从 JoinableQueue 取出的 {n} 个 item 没有调用 task_done()：每个 item（包括哨兵）都要调用一次",
           n=pending)


@check("consume_all", points=1.5, en="leaves no consumer running: every process ends and is joined",
       zh="不留下还在运行的消费者：每个进程都结束并且被 join")
def test_consume_no_children_left(processes):
    _use("fork")
    before = set(proctree.descendants(os.getpid()))
    proctree.call(processes.consume_all, [1, 2, 3, 4], 3, square_report, seconds=CALL_LIMIT,
                  explain=_explain_consumers)
    _expect_all_joined(before, "consume_all")


@check("consume_all", points=1, en="returns the results in input order, whichever finishes first",
       zh="按输入的顺序返回结果，不管哪个先完成")
def test_consume_order(processes):
    _use("fork")
    folder = _folder("kit-order-")
    try:
        items = [(i, folder, 5) for i in range(5)]
        got = proctree.call(processes.consume_all, items, 3, first_finishes_last, seconds=CALL_LIMIT,
                            explain=_explain_consumers).value
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    indexes = [r[1] for r in got] if isinstance(got, list) and all(isinstance(r, tuple) and len(r) == 4
                                                                    for r in got) else None
    if indexes is not None and indexes != list(range(5)) and sorted(indexes) == list(range(5)):
        fail(en="consume_all returned the right results in another order: the first item finished last, and the "
                "results must follow the order of the items. Send each result with its index.",
             zh="consume_all 返回的结果对了，顺序却不对：第一个 item 最后完成，结果必须按 item 的顺序排列。"
                "把每个结果和它的下标一起送回来。")
    expect(indexes == list(range(5)), en="consume_all returned {got}; expected the results of the items 0 to 4",
           zh="consume_all 返回 {got}；应该是 item 0 到 4 的结果", got=_short(got))
