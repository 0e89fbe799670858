# %% [markdown]
# # 多线程 VS 多进程 · 第 1 课：启动和等待线程
# # Threads vs processes · Part 1: starting and joining threads
#
# * 程序的一次运行叫一个**进程**；一个进程里面可以有多个**线程**。
#   One run of a program is a **process**; a process can hold many **threads**.
# * 一个进程里的线程共享同一片数据空间和运行环境；每个线程有自己的入口、顺序执行序列和出口。
#   The threads of a process share its data and environment; each has its own entry point, sequence and exit.
# * 线程可以被抢占（中断），或暂时被挂起（睡眠），让其他线程运行（让步）。
#   A thread can be preempted (interrupted) or suspended (sleeping) so that others run (yielding).
#
# 本课把教程《多线程VS多进程》里的例子变成五个练习。每个练习都从教程里的**原始代码**开始，
# 其中有一个经典错误：找到它，改正它，然后运行下面的测试单元格。
# This part turns the tutorial's examples into five exercises. Each starts from the tutorial's
# **original code**, which holds a classic mistake: find it, fix it, then run the test cell below it.
#
# 时间都是参数：评分时会用很短的时间（几十毫秒）来调用你的函数，所以不要写死 `sleep(4)`。
# Durations are parameters: the grader calls your functions with short delays (tens of
# milliseconds), so never hard-code `sleep(4)`.

# %% [setup]
import _thread as thread
import threading
import time


def default_square(n):
    """练习 4 的默认平方函数 / The default square function of exercise 4."""
    return n * n

# %% [helpers]
# 测试用的小工具，不用修改 / Helpers for the test cells: do not edit.
def run_with_limit(func, *args, seconds=3.0):
    """在辅助线程里调用 func(*args)；超过 seconds 秒没返回就算失败（笔记本不会卡死）。
    Call func(*args) in a helper thread; fail if it has not returned within `seconds`
    (so a hang does not freeze your notebook)."""
    box = {}

    def call():
        try:
            box["value"] = func(*args)
        except BaseException as exc:
            box["error"] = exc

    runner = threading.Thread(target=call, name="check-runner", daemon=True)
    runner.start()
    runner.join(seconds)
    assert not runner.is_alive(), (
        f"{func.__name__}() 在 {seconds} 秒内没有返回 / {func.__name__}() did not return within {seconds} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def in_worker_thread():
    """True 表示当前不是主线程、也不是测试的辅助线程 / True when called from a thread of yours."""
    name = threading.current_thread().name
    return threading.current_thread() is not threading.main_thread() and name != "check-runner"

# %% [markdown]
# ## 练习 1：`_thread.start_new_thread` / Exercise 1: `_thread.start_new_thread`
#
# 教程的第一个例子用底层模块 `_thread` 同时运行 `loop1` 和 `loop2`：
# `thread.start_new_thread(loop1, ("王老大",))`。第二个参数必须是**元组**，
# 只有一个参数时要在后面加逗号。但是 `_thread` 没有 `join()`，所以教程让主线程
# `while True: time.sleep(1)` ——程序永远不会结束。
#
# The tutorial's first example runs `loop1` and `loop2` at once with the low-level module `_thread`:
# `thread.start_new_thread(loop1, ("王老大",))`. The second argument must be a **tuple**: with
# one argument, put a comma after it. But `_thread` has no `join()`, so the tutorial leaves the
# main thread in `while True: time.sleep(1)`, and the program never ends.
#
# 写 `run_low_level(jobs)`：`jobs` 是 `(func, args)` 的列表。用 `thread.start_new_thread`
# 启动每一个 `func(*args)`，等**所有**任务结束后返回——某个任务抛出异常时也要返回。
# 不要用 `while True`、固定的 `sleep` 或忙等。提示：`thread.allocate_lock()` 可以当作“完成”信号。
#
# Write `run_low_level(jobs)`: `jobs` is a list of `(func, args)` pairs. Start every `func(*args)`
# with `thread.start_new_thread` and return once **every** job has returned, also when a job raises.
# No `while True`, no fixed `sleep`, no busy-waiting. Hint: a `thread.allocate_lock()` can serve as a
# "done" signal.

# %% [skeleton] run_low_level
def run_low_level(jobs):
    for func, args in jobs:
        thread.start_new_thread(func, args)
    print("All done at :", time.ctime())
    # 教程的写法：主线程永远睡下去 / the tutorial's way: the main thread sleeps forever
    while True:
        time.sleep(1)

# %% [solution] run_low_level
def run_low_level(jobs):
    done_locks = []
    for func, args in jobs:
        done = thread.allocate_lock()
        done.acquire()  # held until the job has finished

        def job(func=func, args=args, done=done):
            try:
                func(*args)
            finally:
                done.release()  # also when func raises

        thread.start_new_thread(job, ())
        done_locks.append(done)
    for done in done_locks:
        done.acquire()  # blocks until that job released it

# %% [explain] run_low_level
# 每个任务配一把已经锁上的锁，任务结束时（try/finally，异常时也一样）释放它；主线程依次
# acquire 每一把锁，所以它正好在最后一个任务结束时返回，不多等也不早退，更不占 CPU。
# `func=func` 这些默认参数把循环变量的当前值固定下来，否则所有 job 都会看到最后一个任务。
# Each job gets a lock that is already held and releases it when it ends (in `finally`, so also
# when it raises). The main thread acquires every lock in turn, so it returns exactly when the last
# job ends: no waiting too long, no returning early, no CPU burnt. The `func=func` defaults freeze
# the loop variables' current values; without them every job would see the last one.

# %% [test] run_low_level points=2
import time as _time

record = []


def loop1(in1):
    _time.sleep(0.2)
    record.append(("loop1", in1))


def loop2(in1, in2):
    _time.sleep(0.15)
    record.append(("loop2", in1, in2))


run_with_limit(run_low_level, [(loop1, ("王老大",)), (loop2, ("王大鹏", "王晓鹏"))])
assert len(record) == 2, "run_low_level 返回时还有任务没有结束 / run_low_level returned before every job had finished"
assert sorted(record) == [("loop1", "王老大"), ("loop2", "王大鹏", "王晓鹏")], f"任务收到 / the jobs got: {record}"
print("✓ run_low_level")

# %% [hint] run_low_level
# zh: 每个任务用一把先 acquire 的锁，任务在 finally 里 release；主线程最后逐个 acquire 这些锁。
# en: Give each job a lock you acquire first; the job releases it in `finally`; the main thread then acquires every lock.

# %% [markdown]
# ## 练习 2：每个名字一个线程 / Exercise 2: one thread per name
#
# `threading.Thread(target=xxx, args=(xxx,))` 创建线程，`t.start()` 启动它，`t.join()` 等它执行完。
# 写 `greet_all(names, greet)`：为每个名字创建一个线程调用 `greet(name)`，先全部启动，再全部 join。
# 下面的代码有教程里提醒过的错误：`args=(name)` 不是元组！名字 `王老大` 有三个字……
#
# `threading.Thread(target=xxx, args=(xxx,))` makes a thread, `t.start()` starts it, `t.join()`
# waits for it. Write `greet_all(names, greet)`: one thread per name calling `greet(name)`; start
# them all, then join them all. The code below has the mistake the tutorial warns about:
# `args=(name)` is not a tuple! The name `王老大` has three characters...

# %% [skeleton] greet_all
def greet_all(names, greet):
    threads = []
    for name in names:
        t = threading.Thread(target=greet, args=(name))
        threads.append(t)
    for t in threads:
        t.start()
    for t in threads:
        t.join()

# %% [solution] greet_all
def greet_all(names, greet):
    threads = []
    for name in names:
        t = threading.Thread(target=greet, args=(name,))
        threads.append(t)
    for t in threads:
        t.start()
    for t in threads:
        t.join()

# %% [explain] greet_all
# `(name)` 只是加了括号的 `name`，不是元组；Thread 会把字符串当成参数序列展开，
# `greet("王", "老", "大")`。`(name,)` 才是只有一个元素的元组。
# `(name)` is just `name` in parentheses, not a tuple: Thread unpacks the string as the argument
# list, `greet("王", "老", "大")`. `(name,)` is the one-element tuple.

# %% [test] greet_all points=2
greeted = []


def greet(*name):
    assert in_worker_thread(), "greet 应该在你创建的线程里运行 / greet should run in a thread you started"
    time.sleep(0.2)
    greeted.append(name)


run_with_limit(greet_all, ["王老大", "王大鹏", "王晓鹏"], greet)
assert len(greeted) == 3, "greet_all 返回时还有问候没有结束 / greet_all returned before every greeting had finished"
assert sorted(greeted) == sorted([("王老大",), ("王大鹏",), ("王晓鹏",)]), f"greet 收到 / greet got: {sorted(greeted)}"
print("✓ greet_all")

# %% [hint] greet_all
# zh: 只有一个元素的元组要写逗号：args=(name,)。
# en: A one-element tuple needs a comma: args=(name,).

# %% [markdown]
# ## 练习 3：同时运行多个 loop / Exercise 3: run the loops at the same time
#
# 教程里的 `ThreadFunc('loop').loop` 例子注释掉了一种“常见错误写法”：
# `threading.Thread(target=ThreadFunc('loop').loop(100, 4))`。
# 写 `run_loops(delays, loop)`：对 `delays` 里的每一项 `name: seconds`，在各自的线程里调用
# `loop(name, seconds)`，所有线程同时运行，全部结束后再返回。
#
# The tutorial's `ThreadFunc('loop').loop` example comments out a "common mistake":
# `threading.Thread(target=ThreadFunc('loop').loop(100, 4))`. Write `run_loops(delays, loop)`: for
# every entry `name: seconds` of `delays`, call `loop(name, seconds)` in its own thread, all at the
# same time, and return once all of them have finished.

# %% [skeleton] run_loops
def run_loops(delays, loop):
    threads = []
    for name, seconds in delays.items():
        # 常见错误写法 / the common mistake
        t = threading.Thread(target=loop(name, seconds))
        threads.append(t)
    for t in threads:
        t.start()
    for t in threads:
        t.join()

# %% [solution] run_loops
def run_loops(delays, loop):
    threads = [threading.Thread(target=loop, args=(name, seconds)) for name, seconds in delays.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

# %% [explain] run_loops
# `target=loop(name, seconds)` 在创建 Thread 的时候就在主线程里**调用**了 loop，一个接一个，
# 然后把返回值 None 当作 target——线程什么也不做。target 要的是函数本身，参数放在 args 里。
# `target=loop(name, seconds)` **calls** loop right away, in the main thread, one after another,
# and passes its return value, None, as the target: the thread does nothing. `target` wants the
# function itself; its arguments go in `args`.

# %% [test] run_loops points=2
ran = []


def loop(name, seconds):
    assert in_worker_thread(), "loop 应该在你创建的线程里运行 / loop should run in a thread you started"
    time.sleep(seconds)
    ran.append((name, seconds))


run_with_limit(run_loops, {"LOOP1": 0.3, "LOOP2": 0.2}, loop)
assert len(ran) == 2, "run_loops 返回时还有 loop 没有结束 / run_loops returned before every loop had finished"
assert sorted(ran) == [("LOOP1", 0.3), ("LOOP2", 0.2)], f"loop 收到 / loop got: {sorted(ran)}"
print("✓ run_loops")

# %% [hint] run_loops
# zh: target=loop, args=(name, seconds)：把函数交给线程，不要自己调用它。
# en: target=loop, args=(name, seconds): hand the function to the thread instead of calling it yourself.

# %% [markdown]
# ## 练习 4：`Thread` 的子类 / Exercise 4: a `Thread` subclass
#
# 教程里的 Producer 和 Consumer 都是 `threading.Thread` 的子类，把要做的事写在 `run()` 里。
# 写 `SquareThread(n, square=default_square)`：`run()` 把 `self.square(self.n)` 存进
# `self.result`。再写 `squares_in_threads(numbers, square=default_square)`：每个数一个
# `SquareThread`，全部启动之后再逐个 join，按输入的顺序返回结果。
#
# The tutorial's Producer and Consumer subclass `threading.Thread` and put their work in `run()`.
# Write `SquareThread(n, square=default_square)`: `run()` stores `self.square(self.n)` in
# `self.result`. Then `squares_in_threads(numbers, square=default_square)`: one `SquareThread` per
# number, all started before any is joined, results in input order.

# %% [skeleton] SquareThread
class SquareThread(threading.Thread):
    def __init__(self, n, square=default_square):
        self.n = n
        self.square = square
        self.result = None

    def run(self):
        self.result = self.square(self.n)


def squares_in_threads(numbers, square=default_square):
    results = []
    for n in numbers:
        t = SquareThread(n, square)
        t.run()
        results.append(t.result)
    return results

# %% [solution] SquareThread
class SquareThread(threading.Thread):
    def __init__(self, n, square=default_square):
        super().__init__()
        self.n = n
        self.square = square
        self.result = None

    def run(self):
        self.result = self.square(self.n)


def squares_in_threads(numbers, square=default_square):
    threads = [SquareThread(n, square) for n in numbers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [t.result for t in threads]

# %% [explain] SquareThread
# 子类的 `__init__` 必须先调用 `super().__init__()`，否则 Thread 没有初始化，`start()` 会报
# RuntimeError。`run()` 是线程要执行的内容，直接调用它只是普通的函数调用（在当前线程里）；
# `start()` 才会新建线程去执行 `run()`。先全部 start 再全部 join，线程才会同时运行；
# 按 `threads` 列表的顺序取结果，顺序就和输入一致，不管谁先结束。
# A subclass's `__init__` must call `super().__init__()` first, or the Thread is not set up and
# `start()` raises RuntimeError. `run()` is what the thread executes; calling it yourself is a plain
# call in the current thread, while `start()` makes a new thread that runs `run()`. Starting all
# before joining any lets them run together; reading results in the order of `threads` keeps the
# input order whoever finishes first.

# %% [test] SquareThread points=2
t = SquareThread(4)
t.start()
t.join()
assert t.result == 16, f"SquareThread(4).result == {t.result!r}"
squares = run_with_limit(squares_in_threads, [1, 2, 3])
assert squares == [1, 4, 9], f"squares_in_threads([1, 2, 3]) == {squares!r}"
print("✓ SquareThread")

# %% [hint] SquareThread
# zh: __init__ 里先写 super().__init__()；用 start() 启动线程，而不是直接调用 run()。
# en: Call super().__init__() first in __init__; start threads with start(), never by calling run().

# %% [markdown]
# ## 练习 5：函数二等待函数一 / Exercise 5: the second waits for the first
#
# 教程最后一个例子里，`fun2` 打印“等待函数一”，其实只是 `sleep(2)`，因为 `fun1` 睡 3 秒，
# 碰巧看起来是对的。换个时间就错了。写 `run_in_order(first, second)`：同时启动两个线程，
# 第一个调用 `first()`，第二个**等到 `first()` 返回之后**才调用 `second()`。用
# `threading.Event`（或别的同步工具）来等待，不要用 sleep。两个调用都返回后再返回。
#
# In the tutorial's last example, `fun2` prints 等待函数一 ("waiting for function one") but only
# sleeps 2 s: it looks right because `fun1` happens to sleep 3 s. Change the times and it breaks.
# Write `run_in_order(first, second)`: start two threads together; the first calls `first()`, the
# second calls `second()` **only after `first()` has returned**. Wait with a `threading.Event` (or
# another synchronisation primitive), never with sleep. Return after both calls have returned.

# %% [skeleton] run_in_order
def run_in_order(first, second):
    def fun1():
        print("函数一启动")
        first()
        print("结束1")

    def fun2():
        print("函数二启动")
        time.sleep(0.2)
        print("等待函数一")
        second()
        print("结束2")

    t1 = threading.Thread(target=fun1, args=())
    t2 = threading.Thread(target=fun2, args=())
    t1.start()
    t2.start()
    t1.join()
    t2.join()

# %% [solution] run_in_order
def run_in_order(first, second):
    first_done = threading.Event()

    def fun1():
        try:
            first()
        finally:
            first_done.set()

    def fun2():
        first_done.wait()
        second()

    t1 = threading.Thread(target=fun1)
    t2 = threading.Thread(target=fun2)
    t1.start()
    t2.start()
    t1.join()
    t2.join()

# %% [explain] run_in_order
# `sleep` 只是猜 `first` 要多久；`Event.wait()` 等的是一个事实：`first_done.set()` 只在
# `first()` 返回之后才执行（写在 finally 里，first 出错时 fun2 也不会永远等下去）。
# `sleep` guesses how long `first` takes; `Event.wait()` waits for a fact: `first_done.set()` runs
# only after `first()` has returned (in `finally`, so fun2 never waits forever if first fails).

# %% [test] run_in_order points=2
calls = []


def first():
    time.sleep(0.6)
    calls.append(("first", in_worker_thread()))


def second():
    calls.append(("second", in_worker_thread()))


run_with_limit(run_in_order, first, second)
assert len(calls) == 2, "run_in_order 在两个调用都返回之前就返回了 / run_in_order returned before both calls had returned"
assert calls == [("first", True), ("second", True)], f"调用顺序 / calls: {calls}"
print("✓ run_in_order")

# %% [hint] run_in_order
# zh: 用一个 threading.Event：第一个线程在 first() 之后 set()，第二个线程先 wait() 再调用 second()。
# en: Use one threading.Event: the first thread set()s it after first(); the second wait()s before calling second().

# %% [demo]
# 演示：教程里的两个 loop（运行这个单元格看看线程是怎样交错的）
# Demo: the tutorial's two loops (run this cell to watch the threads interleave)
if __name__ == "__main__":
    def demo_loop(name, seconds):
        print("start loop", name, "at:", time.ctime())
        time.sleep(seconds)
        print("end loop", name, "at:", time.ctime())

    print("Starting at:", time.ctime())
    run_loops({"LOOP1": 4, "LOOP2": 2}, demo_loop)
    print("ALL done at:", time.ctime())
