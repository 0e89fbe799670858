"""Hidden tests of ps5_executors. They run in a child process, one check per child.

Nothing is decided by how fast something was. Thread pools: callbacks record which
thread ran them, a barrier proves calls overlapped, and a lock-protected counter
gives the peak number of calls at once (each call lingers until a call too many
arrives, or 0.5 s). Process pools: the grader's functions (module-level, so every
start method can pickle them) return the pid of the process that ran them; the
order check makes the first item finish last through files in a folder. First
result: slow tasks block on an event the check sets only after the student's
function returned, so "it waited for them" is a fact, not a duration. Processes:
grader-written helper programs echo their argv, flood stdout, exit non-zero or
hang; an audit hook records every program started (a shell shows up there), and
/proc tells whether the hanging child is still running or left unreaped.

This module must import with the standard library only: the student's code may
run under another CPython (``grade --python``), which has no psutil.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable

from autograder.checks import CallLog, call, check, expect, fail, settle

BARRIER_WAIT = 2.0  # seconds a callback waits for the others; only wrong code ever waits this long
LINGER = 0.5  # seconds a fetch stays running, to let a call too many show up
SLOW_BOUND = 2.5  # seconds a "slow" task blocks at most when nobody releases it


def _short(value: object, limit: int = 200) -> str:
    """``repr(value)``, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _new_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    """Threads started since ``before`` that are still alive (the kit's own excluded)."""
    return [t for t in threading.enumerate() if t not in before and t.is_alive()
            and not t.name.startswith("kit-") and t is not threading.current_thread()]


# ---------------------------------------------------------------- fetch_all

KEYS = ["a", "王老大", "b c", "Ann"]


@check("fetch_all", points=1, en="maps every key to its result, fetched in the pool's threads",
       zh="每个 key 都映射到它的结果，并且在线程池的线程里获取")
def test_fetch_results(executors):
    log = CallLog(lambda key=None, *_: ("值", key))
    called = call(executors.fetch_all, KEYS, log, 2)
    got = called.value
    want = {key: ("值", key) for key in KEYS}
    expect(got == want, en="fetch_all returned {got!r}; expected {want!r}",
           zh="fetch_all 返回 {got!r}；应该是 {want!r}", got=got, want=want)
    expect(sorted(log.args()) == sorted((key,) for key in KEYS),
           en="fetch was called with {got}; expected one call per key",
           zh="fetch 收到的参数是 {got}；每个 key 应该调用一次", got=sorted(log.args()))
    ran_in = log.threads()
    expect(called.thread not in ran_in and threading.main_thread() not in ran_in,
           en="fetch ran in the thread that called fetch_all: submit the calls to a ThreadPoolExecutor",
           zh="fetch 在调用 fetch_all 的线程里运行：要把调用提交给 ThreadPoolExecutor")


@check("fetch_all", points=2, en="runs max_workers fetches at the same time",
       zh="同时运行 max_workers 个 fetch")
def test_fetch_concurrent(executors):
    barrier = threading.Barrier(3, timeout=BARRIER_WAIT)
    broken = []

    def fetch(*args):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            broken.append(args)
        return "ok"

    call(executors.fetch_all, ["x", "y", "z"], fetch, 3, seconds=8.0)
    expect(not broken, en="with max_workers=3, the 3 fetches did not run at the same time: submit every key "
                          "before waiting for any result",
           zh="max_workers=3 时，3 个 fetch 没有同时运行：先提交所有 key，再等结果")


class PeakCounter:
    """Counts calls running at once; each call lingers until a call too many arrives (or LINGER)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.active = 0
        self.peak = 0
        self.cond = threading.Condition()

    def __call__(self, *args: object) -> str:
        with self.cond:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.peak > self.limit, timeout=LINGER)
            self.active -= 1
        return "ok"


@check("fetch_all", points=2, en="never runs more than max_workers fetches at once",
       zh="同时运行的 fetch 从不超过 max_workers 个")
def test_fetch_limit(executors):
    counter = PeakCounter(2)
    call(executors.fetch_all, [f"k{i}" for i in range(6)], counter, 2, seconds=8.0)
    expect(counter.peak <= 2, en="with max_workers=2, more than 2 fetches ran at the same time: "
                                 "ThreadPoolExecutor(max_workers=max_workers) limits them",
           zh="max_workers=2 时，同时运行的 fetch 超过 2 个：ThreadPoolExecutor(max_workers=max_workers) 会限制数量")


class FetchFailed(Exception):
    pass


@check("fetch_all", points=2, en="a failing fetch maps its key to the exception and loses no other result",
       zh="出错的 fetch 把它的 key 映射到异常，不丢掉其他结果")
def test_fetch_errors(executors):
    raised = {}

    def fetch(key=None, *_):
        if key == "坏":
            raised[key] = FetchFailed("取不到 / cannot fetch")
            raise raised[key]
        threading.Event().wait(0.05)
        return ("值", key)

    keys = ["坏", "a", "王老大"]
    try:
        got = call(executors.fetch_all, keys, fetch, 2).value
    except FetchFailed:
        fail(en="fetch_all raised the exception of one fetch: one failing key must not lose the other results. "
                "Map that key to its exception instead.",
             zh="fetch_all 把一个 fetch 的异常抛了出来：一个 key 出错不能丢掉其他结果。应该把这个 key 映射到它的异常。")
    expect(isinstance(got, dict), en="fetch_all returned {got!r}, not a dict", zh="fetch_all 返回 {got!r}，不是字典",
           got=got)
    expect(got.get("a") == ("值", "a") and got.get("王老大") == ("值", "王老大"),
           en="with one failing key, the other keys got {got}; expected their results",
           zh="有一个 key 出错时，其他 key 得到 {got}；应该是它们的结果",
           got={k: v for k, v in got.items() if k != "坏"})
    value = got.get("坏")
    expect(value is raised.get("坏") or (type(value) is FetchFailed and value.args == raised["坏"].args),
           en="the failing key maps to {got!r}; expected the exception its fetch raised",
           zh="出错的 key 映射到 {got!r}；应该是它的 fetch 抛出的异常", got=value)


@check("fetch_all", points=1, en="leaves no thread running once it has returned",
       zh="返回之后不留下还在运行的线程")
def test_fetch_no_threads_left(executors):
    before = set(threading.enumerate())
    call(executors.fetch_all, KEYS, lambda *args: "ok", 2)
    settle(lambda: not _new_threads(before), 1.0)
    left = _new_threads(before)
    expect(not left, en="{n} thread(s) started by fetch_all were still running after it returned: shut the "
                        "executor down (a with block does it)",
           zh="fetch_all 返回之后，它启动的 {n} 个线程还在运行：要关闭（shutdown）线程池（with 块会自动关闭）",
           n=len(left))


# ---------------------------------------------------------------- map_cpu

def report_pid(item):
    """Run in the student's pool: which process computed ``item``."""
    return (item, os.getpid())


def first_waits_for_others(item):
    """Item 0 waits until every other item has been computed (bounded); the others leave a file."""
    index, folder, count = item
    if index == 0:
        deadline = time.monotonic() + 4.0
        while time.monotonic() < deadline and len(os.listdir(folder)) < count - 1:
            time.sleep(0.01)
    else:
        with open(os.path.join(folder, str(index)), "w"):
            pass
    return ("结果", index)


def _map_in_processes(executors, method: str) -> None:
    multiprocessing.set_start_method(method, force=True)
    items = list(range(6))
    got = call(executors.map_cpu, report_pid, items, 2, seconds=12.0).value
    expect(isinstance(got, list) and len(got) == len(items) and all(isinstance(r, tuple) and len(r) == 2 for r in got),
           en="map_cpu(f, {items}, 2) returned {got!r}; expected a list with f(item) for every item",
           zh="map_cpu(f, {items}, 2) 返回 {got!r}；应该是每个 item 的 f(item) 组成的列表", items=items, got=got)
    expect(sorted(r[0] for r in got) == items,
           en="map_cpu returned results for the items {got}; expected {items}",
           zh="map_cpu 返回的结果对应的 item 是 {got}；应该是 {items}", got=sorted(r[0] for r in got), items=items)
    pids = {r[1] for r in got}
    expect(os.getpid() not in pids,
           en="under the {method} start method, f ran in the process that called map_cpu, not in worker "
              "processes: use a ProcessPoolExecutor",
           zh="在 {method} 启动方式下，f 在调用 map_cpu 的进程里运行，而不是在子进程里：要用 ProcessPoolExecutor",
           method=method)
    expect(len(pids) <= 2, en="with max_workers=2, f ran in {n} different processes",
           zh="max_workers=2 时，f 在 {n} 个不同的进程里运行", n=len(pids))


@check("map_cpu", points=2, en="computes in worker processes (fork)", zh="在子进程里计算（fork）", timeout=16.0)
def test_map_processes_fork(executors):
    _map_in_processes(executors, "fork")


@check("map_cpu", points=2, en="computes in worker processes (spawn)", zh="在子进程里计算（spawn）", timeout=16.0)
def test_map_processes_spawn(executors):
    _map_in_processes(executors, "spawn")


@check("map_cpu", points=2, en="computes in worker processes (forkserver)", zh="在子进程里计算（forkserver）",
       timeout=16.0)
def test_map_processes_forkserver(executors):
    _map_in_processes(executors, "forkserver")


@check("map_cpu", points=2, en="returns results in input order, whichever finishes first",
       zh="按输入顺序返回结果，不管哪个先完成", timeout=16.0)
def test_map_order(executors):
    folder = tempfile.mkdtemp(prefix="kit-order-", dir=os.getcwd())
    try:
        items = [(i, folder, 5) for i in range(5)]
        got = call(executors.map_cpu, first_waits_for_others, items, 2, seconds=12.0).value
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    want = [("结果", i) for i in range(5)]
    if isinstance(got, list) and got != want and sorted(got) == want:
        # which wrong order came out depends on timing: say what is wrong, not the order seen
        fail(en="map_cpu returned the right results in another order: the first item finished last, and "
                "results must follow the input order (executor.map does; as_completed does not)",
             zh="map_cpu 返回的结果对了，但顺序不对：第一个 item 最后完成，结果必须按输入顺序"
                "（executor.map 是按输入顺序的，as_completed 不是）")
    expect(got == want, en="map_cpu returned {got!r}; expected {want!r}",
           zh="map_cpu 返回 {got!r}；应该是 {want!r}", got=got, want=want)


# ---------------------------------------------------------------- first_result

class Tasks:
    """Tasks for first_result: slow ones block until released (or SLOW_BOUND); records who finished."""

    def __init__(self):
        self.release = threading.Event()
        self.finished: list[str] = []
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def _ran(self, name: str) -> None:
        with self.lock:
            self.finished.append(name)

    def slow(self, name: str) -> Callable[[], str]:
        def task(*_):
            with self.lock:
                self.threads.append(threading.current_thread())
            self.release.wait(SLOW_BOUND)
            self._ran(name)
            return name
        return task

    def fast(self, name: str) -> Callable[[], str]:
        def task(*_):
            with self.lock:
                self.threads.append(threading.current_thread())
            self._ran(name)
            return name
        return task

    def done(self) -> list[str]:
        with self.lock:
            return list(self.finished)


@check("first_result", points=2, en="returns the first result to finish, not the first task submitted",
       zh="返回最先完成的结果，而不是第一个提交的任务的结果")
def test_first_finished(executors):
    tasks = Tasks()
    try:
        called = call(executors.first_result, [tasks.slow("慢一"), tasks.fast("快"), tasks.slow("慢二")], 5.0,
                      seconds=5.0)
    finally:
        tasks.release.set()
    expect(called.thread not in tasks.threads,
           en="the tasks ran in the thread that called first_result: submit them to a ThreadPoolExecutor",
           zh="任务在调用 first_result 的线程里运行：要把它们提交给 ThreadPoolExecutor")
    if called.value in ("慢一", "慢二"):  # which slow one depends on the code: say what is wrong, not which
        fail(en="first_result returned the result of a slow task; expected '快', the only task that finished at "
                "once: wait for whichever finishes first (as_completed, or wait(FIRST_COMPLETED))",
             zh="first_result 返回了慢任务的结果；应该是唯一立刻完成的任务的结果 '快'："
                "要等最先完成的那个（as_completed 或 wait(FIRST_COMPLETED)）")
    expect(called.value == "快", en="first_result returned {got}; expected '快'",
           zh="first_result 返回 {got}；应该是 '快'", got=_short(called.value))


@check("first_result", points=2, en="returns without waiting for the slow tasks",
       zh="返回时不等慢的任务")
def test_first_no_waiting(executors):
    tasks = Tasks()
    try:
        got = call(executors.first_result, [tasks.fast("快"), tasks.slow("慢一"), tasks.slow("慢二")], 5.0,
                   seconds=5.0).value
        done_at_return = tasks.done()
    finally:
        tasks.release.set()
    expect(got == "快", en="first_result returned {got!r}; expected '快'", zh="first_result 返回 {got!r}；应该是 '快'",
           got=got)
    expect(done_at_return == ["快"],
           en="first_result returned only after the slow tasks had finished: it waited for every task. "
              "Leaving a with block does that; use shutdown(wait=False, cancel_futures=True) instead.",
           zh="first_result 等慢任务都结束了才返回：它等了所有任务。with 块退出时就会这样；"
              "改用 shutdown(wait=False, cancel_futures=True)。")


@check("first_result", points=1, en="a task that raised does not count as a result",
       zh="抛出异常的任务不算结果")
def test_first_skips_failures(executors):
    failed = threading.Event()

    def good(*_):
        failed.wait(BARRIER_WAIT)
        threading.Event().wait(0.5)  # the failure has surely been recorded by now
        return "好"

    def broken(*_):
        failed.set()
        raise ValueError("这个任务出错了 / this task fails")

    try:
        got = call(executors.first_result, [good, broken], 5.0, seconds=5.0).value
    except ValueError:
        fail(en="first_result raised the error of a failed task although another task succeeded later: "
                "skip failed tasks",
             zh="有一个任务稍后成功了，first_result 却抛出了失败任务的异常：要跳过失败的任务")
    expect(got == "好", en="first_result returned {got!r}; expected '好', the first successful result "
                          "(a failed task does not count)",
           zh="first_result 返回 {got!r}；应该是第一个成功的结果 '好'（失败的任务不算）", got=got)


@check("first_result", points=1, en="raises a task's exception when every task failed",
       zh="所有任务都失败时抛出任务的异常")
def test_first_all_failed(executors):
    def failing(message: str) -> Callable[[], object]:
        def task(*_):
            raise ValueError(message)
        return task

    messages = ("任务一出错 / task one fails", "任务二出错 / task two fails")
    try:
        got = call(executors.first_result, [failing(m) for m in messages], 5.0, seconds=5.0).value
    except ValueError as exc:
        expect(str(exc) in messages, en="first_result raised ValueError({got!r}); expected the exception of a task",
               zh="first_result 抛出 ValueError({got!r})；应该是某个任务的异常", got=str(exc))
        return
    except TimeoutError:
        fail(en="every task failed at once, but first_result raised TimeoutError: raise the first failure",
             zh="所有任务都立刻失败了，first_result 却抛出 TimeoutError：应该抛出第一个失败的异常")
    fail(en="every task failed, but first_result returned {got!r}: raise the first failure",
         zh="所有任务都失败了，first_result 却返回 {got!r}：应该抛出第一个失败的异常", got=got)


def _is_timeout(exc: BaseException) -> bool:
    import concurrent.futures

    return isinstance(exc, (TimeoutError, concurrent.futures.TimeoutError))


@check("first_result", points=2, en="raises TimeoutError in time when no result arrives",
       zh="没有结果到达时按时抛出 TimeoutError")
def test_first_timeout(executors):
    tasks = Tasks()
    outcome = {}
    try:
        try:
            outcome["value"] = call(executors.first_result, [tasks.slow("慢一"), tasks.slow("慢二")], 0.3,
                                    seconds=5.0).value
        except Exception as exc:  # noqa: BLE001 - the verdict depends on what was raised
            outcome["error"] = exc
        done_at_return = tasks.done()
    finally:
        tasks.release.set()
    if "value" in outcome:
        fail(en="no task finished within the timeout of 0.3 s, but first_result returned a value instead of "
                "raising TimeoutError when time was up",
             zh="超时 0.3 秒内没有任务完成，first_result 却返回了一个值，而不是在时间到了时抛出 TimeoutError")
    error = outcome["error"]
    if not _is_timeout(error):
        raise error
    expect(not done_at_return,
           en="first_result raised TimeoutError only after the slow tasks had finished: it waited for them "
              "(a with block does). Raise as soon as the timeout is up.",
           zh="first_result 等慢任务都结束了才抛出 TimeoutError：它等了这些任务（with 块就会这样）。时间一到就要抛出。")


# ---------------------------------------------------------------- run_command

SHELLS = {"sh", "bash", "dash", "zsh", "ksh", "csh", "tcsh", "fish", "busybox"}


class Spawns:
    """Every program the check's process starts, as the audit events report it."""

    def __init__(self):
        self.programs: list[tuple[str, list[str]]] = []
        self.os_system: list[str] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple) -> None:
        if event == "subprocess.Popen":
            executable, argv = args[0], args[1]
            self.programs.append((os.fsdecode(executable), [os.fsdecode(a) for a in (argv or [])]))
        elif event == "os.system":  # always through /bin/sh
            self.programs.append(("/bin/sh", ["/bin/sh", "-c", os.fsdecode(args[0])]))
        elif event in ("os.posix_spawn", "os.exec"):  # (path, argv, env)
            self.programs.append((os.fsdecode(args[0]), [os.fsdecode(a) for a in (args[1] or [])]))
        elif event == "os.spawn":  # (mode, path, args, env)
            self.programs.append((os.fsdecode(args[1]), [os.fsdecode(a) for a in (args[2] or [])]))

    def shells(self) -> list[str]:
        return [exe for exe, _ in self.programs if os.path.basename(exe) in SHELLS]


def _folder(name: str) -> str:
    """A fresh folder in the check's working folder (removed with it)."""
    return tempfile.mkdtemp(prefix=name, dir=os.getcwd())


def _script(folder: str, name: str, code: str) -> str:
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(code)
    return path


ECHO = """import json, sys
sys.stdout.buffer.write(json.dumps(sys.argv[1:], ensure_ascii=False).encode("utf-8"))
"""


@check("run_command", points=2, en="passes every argument verbatim, without a shell",
       zh="不经过 shell，每个参数原样传给程序")
def test_run_verbatim(executors):
    spawns = Spawns()
    work = _folder("kit-verbatim-")
    spaced = os.path.join(work, "带 空格 with space")
    os.mkdir(spaced)
    program = _script(spaced, "echo args.py", ECHO)
    arguments = ["a; touch pwned", "$(id)", "*", "`id`", "x && exit 7", "两个  空格 two  spaces",
                 os.path.join("带 空格 with space", "data file.txt"), "引号 'single' \"double\"", ""]
    here = os.getcwd()
    os.chdir(work)  # where `touch pwned` would land
    try:
        got = call(executors.run_command, [sys.executable, program, *arguments], 5.0, seconds=8.0).value
    finally:
        os.chdir(here)
    pwned = [name for name in os.listdir(work) if name == "pwned"]
    expect(not spawns.shells(),
           en="run_command started a shell ({shells}): pass the list of arguments to subprocess without shell=True",
           zh="run_command 启动了 shell（{shells}）：把参数列表交给 subprocess，不要 shell=True",
           shells=", ".join(sorted(set(spawns.shells()))))
    expect(not pwned, en="the argument 'a; touch pwned' ran `touch pwned`: a shell interpreted it",
           zh="参数 'a; touch pwned' 执行了 `touch pwned`：它被 shell 解释了")
    expect(isinstance(got, tuple) and len(got) == 2, en="run_command returned {got}; expected (returncode, stdout)",
           zh="run_command 返回 {got}；应该是 (returncode, stdout)", got=_short(got))
    code, out = got
    try:
        received = json.loads(out)
    except (TypeError, ValueError):
        received = out
    expect(received == arguments,
           en="the program received the arguments {got}; expected {want!r}",
           zh="程序收到的参数是 {got}；应该是 {want!r}", got=_short(received), want=arguments)
    expect(code == 0, en="run_command returned the exit code {got!r}; expected 0",
           zh="run_command 返回的退出码是 {got!r}；应该是 0", got=code)


BIG_LINES = 40_000  # about 700 KB, ten times what a pipe buffers
BIG = """import sys
out = sys.stdout.buffer
for i in range(int(sys.argv[1])):
    out.write(f"第 {i:05d} 行 line\\n".encode("utf-8"))
"""


@check("run_command", points=2, en="reads output far larger than a pipe buffer (64 KiB) without deadlock",
       zh="输出远大于管道缓冲（64 KiB）时也不会死锁")
def test_run_big_output(executors):
    program = _script(_folder("kit-big-"), "big.py", BIG)
    want = "".join(f"第 {i:05d} 行 line\n" for i in range(BIG_LINES))
    try:
        got = call(executors.run_command, [sys.executable, program, str(BIG_LINES)], 5.0, seconds=8.0).value
    except subprocess.TimeoutExpired:
        fail(en="run_command timed out on a program that prints {kb} KB and exits at once: the pipe filled up "
                "while your code waited for the program to end (wait() before reading). Use communicate() or "
                "subprocess.run, which read while they wait.",
             zh="程序输出 {kb} KB 后立刻退出，run_command 却超时了：你的代码在等程序结束（先 wait() 再读），"
                "管道却已经满了。用 communicate() 或 subprocess.run，它们边等边读。", kb=len(want.encode()) // 1000)
    expect(isinstance(got, tuple) and len(got) == 2, en="run_command returned {got}; expected (returncode, stdout)",
           zh="run_command 返回 {got}；应该是 (returncode, stdout)", got=_short(got))
    code, out = got
    expect(code == 0, en="run_command returned the exit code {got!r}; expected 0",
           zh="run_command 返回的退出码是 {got!r}；应该是 0", got=code)
    expect(isinstance(out, str), en="stdout came back as {got}; expected text (str) decoded as UTF-8",
           zh="stdout 返回的类型是 {got}；应该是按 UTF-8 解码的文本（str）", got=type(out).__name__)
    expect(out == want, en="stdout has {got} characters; expected all {want} characters the program printed",
           zh="stdout 有 {got} 个字符；程序打印了 {want} 个字符", got=len(out), want=len(want))


FAILING = """import sys
sys.stdout.buffer.write("部分输出 partial output\\n".encode("utf-8"))
sys.stdout.flush()
sys.stderr.write("错误信息 error message\\n")
sys.exit(3)
"""


@check("run_command", points=1, en="returns a non-zero exit code with stdout only, without raising",
       zh="退出码不为 0 时照样返回，并且只返回 stdout，不抛异常")
def test_run_nonzero(executors):
    program = _script(_folder("kit-fail-"), "fails.py", FAILING)
    try:
        got = call(executors.run_command, [sys.executable, program], 5.0, seconds=8.0).value
    except subprocess.CalledProcessError:
        fail(en="run_command raised CalledProcessError for a program that exited with code 3: return the code "
                "(no check=True, no check_returncode())",
             zh="程序以退出码 3 结束，run_command 却抛出了 CalledProcessError：应该返回退出码"
                "（不要 check=True，也不要 check_returncode()）")
    expect(isinstance(got, tuple) and len(got) == 2, en="run_command returned {got}; expected (returncode, stdout)",
           zh="run_command 返回 {got}；应该是 (returncode, stdout)", got=_short(got))
    code, out = got
    expect(code == 3, en="run_command returned the exit code {got!r}; the program exited with 3",
           zh="run_command 返回的退出码是 {got!r}；程序的退出码是 3", got=code)
    if isinstance(out, str) and "错误信息" in out:
        fail(en="the program's stderr was mixed into the returned stdout", zh="返回的 stdout 里混进了程序的 stderr")
    expect(out == "部分输出 partial output\n", en="run_command returned the output {got!r}; expected {want!r}",
           zh="run_command 返回的输出是 {got!r}；应该是 {want!r}", got=out, want="部分输出 partial output\n")


@check("run_command", points=1, en="raises FileNotFoundError for a program that does not exist",
       zh="程序不存在时抛出 FileNotFoundError")
def test_run_missing(executors):
    folder = _folder("kit-missing-")
    for program in (os.path.join(folder, "no such program"), "kit-no-such-program-5e7c"):
        try:
            got = call(executors.run_command, [program, "x"], 5.0, seconds=8.0).value
        except FileNotFoundError:
            continue
        fail(en="running a program that does not exist returned {got!r}; expected FileNotFoundError "
                "(a shell would report exit code 127 instead)",
             zh="运行一个不存在的程序返回了 {got!r}；应该抛出 FileNotFoundError（经过 shell 才会得到退出码 127）",
             got=got)


HANG = """import os, sys, time
with open(sys.argv[1] + ".tmp", "w") as fh:
    fh.write(str(os.getpid()))
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(120)
"""


def _proc_state(pid: int) -> str | None:
    """The state letter of a process ("Z" for a zombie), None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.add(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return found


@check("run_command", points=2, en="on timeout, kills and reaps the child, then raises TimeoutExpired",
       zh="超时后杀掉并回收子进程，再抛出 TimeoutExpired")
def test_run_timeout(executors):
    folder = _folder("kit-hang-")
    program = _script(folder, "hang.py", HANG)
    pidfile = os.path.join(folder, "pid")
    kept = []
    try:
        got = call(executors.run_command, [sys.executable, program, pidfile], 0.5, seconds=6.0).value
    except subprocess.TimeoutExpired as exc:
        # Holding the exception holds the student's frames, so a Popen they left unreaped is not reaped
        # by its __del__ now (which it would do only if the kill had already landed: a race).
        kept.append(exc)
    else:
        fail(en="the program never ends, but run_command returned {got!r}; expected subprocess.TimeoutExpired",
             zh="这个程序永远不会结束，run_command 却返回了 {got!r}；应该抛出 subprocess.TimeoutExpired", got=got)

    def leftovers() -> dict[int, str]:
        pids = set(_children(os.getpid()))
        if os.path.exists(pidfile):
            with open(pidfile, encoding="ascii") as fh:
                pids.add(int(fh.read()))
        states = {pid: _proc_state(pid) for pid in pids}
        return {pid: state for pid, state in states.items() if state is not None}

    settle(lambda: all(state == "Z" for state in leftovers().values()), 1.5)
    left = leftovers()
    expect(all(state == "Z" for state in left.values()),
           en="after run_command raised TimeoutExpired, the program was still running: kill it (proc.kill()) "
              "before raising",
           zh="run_command 抛出 TimeoutExpired 之后，程序还在运行：抛出之前要杀掉它（proc.kill()）")
    expect(not left, en="the program was killed but never reaped (it is left as a zombie): wait for it after "
                        "killing it (proc.kill(); proc.communicate() or proc.wait())",
           zh="程序被杀掉了，但没有被回收（成了僵尸进程）：杀掉之后要等它退出（proc.kill(); 然后 proc.communicate() 或 proc.wait()）")
