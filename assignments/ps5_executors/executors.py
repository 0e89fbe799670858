"""# 多线程 VS 多进程 · 第 5 课：线程替代方案
# Threads vs processes · Part 5: alternatives to threads

教程在“线程替代方案”里列了三样东西 / The tutorial's notes on 线程替代方案 (alternatives to threads) list three:

* **subprocess**：完全跳过线程，使用进程；是派生进程的主要替代方案（Python 2.4 引入）。
  Skips threads altogether and uses processes; the main way to start other programs (since Python 2.4).
* **multiprocessing**：用跟 `threading` 非常相似的接口派生子进程，允许为多核或多 CPU 派生进程（Python 2.6）。
  Starts child processes through an interface very much like `threading`, so that work can use several
  cores or CPUs (since Python 2.6).
* **concurrent.futures**：新的异步执行模块，**任务级别**的操作（Python 3.2 引入）：你提交任务，拿回
  `Future`，线程池或进程池替你管理线程和进程。
  A newer module for asynchronous execution that works at the level of **tasks** (since Python 3.2): you
  submit tasks and get `Future`s back; a thread pool or a process pool manages the threads or processes.

为什么既要线程池又要进程池？CPython 有一把**全局解释器锁（GIL）**：同一时刻只有一个线程在执行
Python 字节码。线程在**等待**（`sleep`、网络、磁盘、子进程）时会放开 GIL，所以等待的工作用线程就能
重叠起来；而**计算**（CPU 密集）的工作一直占着 GIL，多开线程也只是轮流算，只有多个**进程**
（每个进程有自己的解释器和 GIL）才能真正同时用上几个核。下面的小实验在你自己的电脑上量一量。

Why both a thread pool and a process pool? CPython has a **global interpreter lock (GIL)**: only one
thread runs Python bytecode at any moment. A thread that **waits** (`sleep`, network, disk, a child
process) releases the GIL, so waiting work overlaps fine in threads; **computing** (CPU-bound) work
holds the GIL, so more threads only take turns, and only several **processes** (each with its own
interpreter and GIL) really use several cores at once. The small experiment below measures it on
your own machine.

本课有四个练习，每个都从一段看起来能用、其实有经典错误的代码开始：找到错误，改正它，然后运行下面的
测试单元格。时间都是参数：评分时会用很短的时间调用你的函数，不要写死 `sleep`。
This part has four exercises; each starts from code that looks fine but holds a classic mistake: find
it, fix it, then run the test cell below it. Durations are parameters: the grader calls your functions
with short delays, so never hard-code a `sleep`.
"""


import multiprocessing
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, as_completed, wait


# ## 实验：线程什么时候有用？ / Experiment: when do threads help?
#
# 同样四个任务，分别顺序执行、放进线程池、放进进程池，量一量用时。一种任务是**等待**（`time.sleep`），
# 一种是**计算**（`sum(range(n))`，一直占着 GIL）。任务函数用的是内置函数 `time.sleep` 和 `sum`：
# 进程池要把函数“腌制”（pickle）后发给子进程，笔记本里定义的函数在 `spawn`/`forkserver` 启动方式下
# 子进程找不到，内置函数则到处都能用。
#
# The same four tasks, run one after another, in a thread pool and in a process pool, timed. One kind
# **waits** (`time.sleep`), the other **computes** (`sum(range(n))`, holding the GIL all along). The task
# functions are the built-ins `time.sleep` and `sum`: a process pool pickles the function to send it to
# its children, and a function defined in a notebook cannot be found there under the `spawn` and
# `forkserver` start methods, while a built-in can be found everywhere.
#
# 预期 / What to expect: 等待的任务用线程就快了大约 4 倍；计算的任务用线程不会变快，用进程才会
# （最多快到你的 CPU 核数那么多倍，进程启动也要花一点时间）。
# Waiting tasks get about 4 times faster with threads; computing tasks do not get faster with threads,
# only with processes (at most by the number of your CPU cores, and starting processes costs a little).
# 在自由线程版（free-threaded，3.13t，没有 GIL）的 Python 上，计算任务用线程也会变快。
# On a free-threaded Python (3.13t, no GIL) the computing tasks get faster with threads too.


# 实验：运行这个单元格（在 .py 里：python executors.py）/ The experiment: run this cell (or: python executors.py)
if __name__ == "__main__":
    def timed(run):
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    def calibrate(seconds=0.2):
        """sum(range(n)) 要算大约 seconds 秒的 n / the n for which sum(range(n)) takes about `seconds`."""
        n = 100_000
        while (took := timed(lambda: sum(range(n)))) < 0.02:
            n *= 4
        return int(n * seconds / took)

    n_tasks = 4
    cores = os.cpu_count() or 1
    n = calibrate()
    experiments = {
        ("等待", "waiting: time.sleep(0.2)"): (time.sleep, [0.2] * n_tasks),
        ("计算", f"computing: sum(range({n:_}))"): (sum, [range(n)] * n_tasks),
    }
    ways = [("顺序", "sequential"), ("线程池", "threads"), ("进程池", "processes")]

    def run_pool(pool_class, func, items):
        with pool_class(max_workers=n_tasks) as pool:
            list(pool.map(func, items))

    timings = {}
    for label, (func, items) in experiments.items():
        timings[label] = [
            timed(lambda: list(map(func, items))),
            timed(lambda: run_pool(ThreadPoolExecutor, func, items)),
            timed(lambda: run_pool(ProcessPoolExecutor, func, items)),
        ]

    def padded(text, width):
        """text 补到 width 列宽（汉字占两列）/ text padded to `width` columns (a Chinese character takes two)."""
        return text + " " * max(0, width - sum(2 if ord(ch) > 0x2E7F else 1 for ch in text))

    print(f"{n_tasks} 个任务，{cores} 个 CPU 核 / {n_tasks} tasks, {cores} CPU cores\n")
    longest = max(max(times) for times in timings.values())
    for (zh, en), times in timings.items():
        print(f"{zh} / {en}")
        for (way_zh, way_en), seconds in zip(ways, times):
            bar = "█" * max(1, round(seconds / longest * 40))
            print(f"  {padded(way_zh + ' / ' + way_en, 24)} {seconds:6.2f} s  {bar}  ×{times[0] / seconds:.1f}")
        print()

    try:
        import matplotlib.pyplot as plt
    except ImportError:  # 没有 matplotlib 就只看上面的文字条形图 / without matplotlib, the text bars above
        plt = None
    if plt is not None:
        # 图里只用英文：默认字体常常没有中文字形 / English only in the plot: default fonts often lack Chinese glyphs
        fig, axes = plt.subplots(1, len(timings), figsize=(10, 3.5), sharey=True)
        for ax, ((zh, en), times) in zip(axes, timings.items()):
            ax.bar([way_en for _, way_en in ways], times, color=["#888888", "#4c72b0", "#dd8452"])
            ax.set_title(en)
            ax.set_ylabel("seconds")
        fig.suptitle(f"{n_tasks} tasks on {cores} CPU cores")
        fig.tight_layout()
        plt.show()


# ## 练习 1：线程池 / Exercise 1: a thread pool
#
# `ThreadPoolExecutor(max_workers=n)` 最多用 `n` 个线程执行提交给它的任务。`executor.submit(fn, arg)`
# 立刻返回一个 `Future`；`future.result()` 等任务结束，返回它的结果——任务抛出了异常，`result()` 就把
# 这个异常再抛出来（`future.exception()` 则把它返回）。`with ThreadPoolExecutor(...) as executor:`
# 结束时会等所有任务完成，并关掉（shutdown）线程池，它的线程随之结束。
#
# `ThreadPoolExecutor(max_workers=n)` runs the tasks submitted to it in at most `n` threads.
# `executor.submit(fn, arg)` returns a `Future` at once; `future.result()` waits for the task and returns
# its result, or raises the exception the task raised (`future.exception()` returns it instead).
# Leaving `with ThreadPoolExecutor(...) as executor:` waits for every task and shuts the pool down, which
# ends its threads.
#
# 写 `fetch_all(keys, fetch, max_workers)`：用一个 `ThreadPoolExecutor`，最多 `max_workers` 个
# `fetch(key)` 同时运行；返回一个字典，把每个 key 映射到它的结果，或者映射到它的 `fetch` 抛出的异常
# ——一个 key 出错，不能丢掉其他 key 的结果。返回时不能留下还在运行的线程。下面的代码一个接一个地取，
# 而且一个出错就全丢了。
#
# Write `fetch_all(keys, fetch, max_workers)`: with one `ThreadPoolExecutor`, at most `max_workers` calls
# of `fetch(key)` at a time; return a dict mapping every key to its result, or to the exception its
# `fetch` raised: one failing key must not lose the others' results. Leave no thread running when you
# return. The code below fetches one key after another, and one error loses everything.


def fetch_all(keys, fetch, max_workers):
    # 一个接一个地取 / one key after another
    results = {}
    for key in keys:
        results[key] = fetch(key)
    return results


# 提示 / Hint: 在 with ThreadPoolExecutor(max_workers=max_workers) 里先 submit 所有 key，再对每个 future 用 try/except 取 result()。
# Inside `with ThreadPoolExecutor(max_workers=max_workers)`, submit every key first, then get each future's result() in its own try/except.


# ## 练习 2：进程池 / Exercise 2: a process pool
#
# `ProcessPoolExecutor` 的接口和 `ThreadPoolExecutor` 一样，但任务在**子进程**里运行，计算的工作才能
# 真正用上几个核。函数和参数要用 pickle 发给子进程，所以 `f` 必须是模块顶层定义的函数（lambda 不行）。
# `executor.map(f, items)` 按**输入的顺序**给出结果；`as_completed(futures)` 则按**完成的顺序**。
#
# `ProcessPoolExecutor` has the same interface as `ThreadPoolExecutor`, but runs the tasks in **child
# processes**, so computing work really uses several cores. The function and its arguments are pickled
# to reach the children, so `f` must be a function defined at the top level of a module (no lambda).
# `executor.map(f, items)` yields results in **input order**; `as_completed(futures)` in **completion
# order**.
#
# 写 `map_cpu(f, items, max_workers)`：用 `ProcessPoolExecutor` 对每个 item 计算 `f(item)`，按输入的
# 顺序返回结果列表。要在 `fork`、`spawn` 和 `forkserver` 三种启动方式下都能用（Python 3.14 在 Linux 上
# 默认 `forkserver`）。下面的代码有两个问题：用的是线程，结果按完成的顺序排列。
#
# Write `map_cpu(f, items, max_workers)`: compute `f(item)` for every item with a `ProcessPoolExecutor`
# and return the results as a list in input order. It must work under the `fork`, `spawn` and
# `forkserver` start methods (Python 3.14 makes `forkserver` the default on Linux). The code below has
# two problems: it uses threads, and it lists results in completion order.


def map_cpu(f, items, max_workers):
    with ThreadPoolExecutor(max_workers=max_workers) as executor:
        futures = [executor.submit(f, item) for item in items]
        return [future.result() for future in as_completed(futures)]


# 提示 / Hint: with ProcessPoolExecutor(max_workers=max_workers) as executor: return list(executor.map(f, items))。
# with ProcessPoolExecutor(max_workers=max_workers) as executor: return list(executor.map(f, items)).


# ## 练习 3：最先到达的结果 / Exercise 3: the first result to arrive
#
# 同一个问题问几个服务器，谁先回答就用谁的。`as_completed(futures, timeout=...)` 按完成的顺序给出
# future，超时就抛出 `TimeoutError`；`wait(futures, timeout=..., return_when=FIRST_COMPLETED)` 等到有
# 一个完成为止。注意：`with` 块结束时会等**所有**任务完成——慢的任务会让你白等。
# `executor.shutdown(wait=False, cancel_futures=True)` 不等正在运行的任务，并取消还没开始的任务。
#
# Ask several servers the same question and use whichever answers first. `as_completed(futures,
# timeout=...)` yields futures in completion order and raises `TimeoutError` when time is up; `wait(futures,
# timeout=..., return_when=FIRST_COMPLETED)` waits until one has finished. Careful: leaving a `with` block
# waits for **every** task, so a slow task makes you wait for nothing.
# `executor.shutdown(wait=False, cancel_futures=True)` does not wait for running tasks and cancels those
# not started yet.
#
# 写 `first_result(tasks, timeout)`：`tasks` 是不带参数的函数列表。全部运行，一有任务**成功**返回就
# 返回它的结果，不等慢的任务；抛出异常的任务不算结果（如果全部都失败了，就抛出第一个失败的异常）；
# `timeout` 秒内没有结果就抛出 `TimeoutError`。下面的代码等的是**第一个提交**的任务，而且 `with` 块
# 会等所有任务结束。
#
# Write `first_result(tasks, timeout)`: `tasks` is a list of functions without arguments. Run them all and
# return the result of the first one that **succeeds**, without waiting for the slow ones; a task that
# raised does not count as a result (if every task failed, raise the first failure); if no result has
# arrived within `timeout` seconds, raise `TimeoutError`. The code below waits for the **first submitted**
# task, and its `with` block waits for every task to end.


def first_result(tasks, timeout):
    with ThreadPoolExecutor() as executor:
        futures = [executor.submit(task) for task in tasks]
        return futures[0].result(timeout=timeout)


# 提示 / Hint: 不用 with；for future in as_completed(futures, timeout=timeout)，跳过有异常的；最后在 finally 里 shutdown(wait=False, cancel_futures=True)。
# No `with`: `for future in as_completed(futures, timeout=timeout)`, skip the failed ones, and shutdown(wait=False, cancel_futures=True) in `finally`.


# ## 练习 4：`subprocess` / Exercise 4: `subprocess`
#
# 把参数拼成一条命令交给 shell（`shell=True`）是最常见的错误：参数里的 `;`、`$(...)`、`*`、空格都会被
# shell 解释，`a; touch pwned` 就真的会执行 `touch pwned`。把参数**列表**直接交给 `subprocess.run`，
# 程序收到的参数就和列表里的一模一样。用 `stdout=subprocess.PIPE` 读输出时，不要先 `wait()` 再读：
# 管道只能缓存大约 64 KiB，子进程写满了就停下来等你读，你却在等它结束——死锁。
# `subprocess.run(..., timeout=...)` 或 `Popen.communicate(timeout=...)` 边等边读。
#
# Joining the arguments into one command for a shell (`shell=True`) is the classic mistake: the shell
# interprets `;`, `$(...)`, `*` and spaces in the arguments, and `a; touch pwned` really runs `touch
# pwned`. Hand the **list** of arguments to `subprocess.run` and the program receives exactly those
# arguments. When you read the output through `stdout=subprocess.PIPE`, never `wait()` first and read
# afterwards: a pipe buffers only about 64 KiB; a child that fills it stops until someone reads, while you
# wait for it to end: a deadlock. `subprocess.run(..., timeout=...)` and `Popen.communicate(timeout=...)`
# read while they wait.
#
# 写 `run_command(args, timeout)`：不经过 shell 运行程序 `args`，返回 `(returncode, stdout)`，stdout 按
# UTF-8 解码成文本（不混入 stderr）。退出码不为 0 时照样返回，不抛异常；程序不存在时抛出
# `FileNotFoundError`；超时后杀掉子进程、等它退出（回收它），再抛出 `subprocess.TimeoutExpired`。
#
# Write `run_command(args, timeout)`: run the program `args` without a shell and return `(returncode,
# stdout)`, stdout decoded as UTF-8 text (stderr not mixed in). A non-zero exit code is returned, not
# raised; a missing program raises `FileNotFoundError`; on timeout, kill the child, wait for it to end
# (reap it), then raise `subprocess.TimeoutExpired`.


def run_command(args, timeout):
    # 拼成一条命令交给 shell，再 wait() / one command for the shell, then wait()
    proc = subprocess.Popen(" ".join(args), shell=True, stdout=subprocess.PIPE)
    proc.wait(timeout=timeout)
    return proc.returncode, proc.stdout.read().decode("utf-8")


# 提示 / Hint: subprocess.run(args, stdout=subprocess.PIPE, timeout=timeout, encoding="utf-8")：参数用列表，不要 shell=True，不要 check=True。
# subprocess.run(args, stdout=subprocess.PIPE, timeout=timeout, encoding="utf-8"): a list of arguments, no shell=True, no check=True.


# 检查你的答案 / Check your work:
#     python -m autograder check ps5_executors executors.py
