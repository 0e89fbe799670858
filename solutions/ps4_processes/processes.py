"""# 多线程 VS 多进程 · 第 4 课：多进程
# Threads vs processes · Part 4: processes with `multiprocessing`

教程的“多进程”笔记 / The tutorial's notes on 多进程 (processes):

* **进程间通讯**（InterProcess Communication，IPC）：**进程之间无任何共享状态**。子进程改动的变量、
  列表、字典只在它自己的进程里；结果要通过 `Queue`、`Pipe` 这样的通道送回来。子进程的返回值和
  `print()` 都到不了父进程。
  **Inter-process communication** (IPC): **processes share no state**. A variable, list or dict that a
  child changes stays in the child's process; results travel back through channels such as `Queue` and
  `Pipe`. Neither a child's return value nor its `print()` reaches the parent.
* **进程的创建**：直接生成 `Process` 实例对象（案例 19），或者派生 `Process` 的子类（案例 20）。
  **Creating processes**: make `Process` instances directly (case 19), or subclass `Process` (case 20).
* 用 `os.getpid()` 和 `os.getppid()` 查看进程号和父进程号以及它们的关系（案例 21）。
  `os.getpid()` and `os.getppid()` give a process's id and its parent's, and show how they relate (case 21).
* **生产者消费者模型**：`JoinableQueue`（案例 22），队列中**哨兵**的使用（案例 23），哨兵的改进（案例 24）。
  **Producers and consumers**: `JoinableQueue` (case 22), **sentinels** in the queue (case 23), the improved
  sentinel (case 24).

**启动方式 / Start methods.** `multiprocessing` 有三种启动子进程的方式：`fork`（复制父进程，Linux 上
Python 3.13 之前的默认方式）、`spawn`（启动一个全新的解释器，macOS 和 Windows 的默认方式）和
`forkserver`（由一个服务进程复制出子进程，Python 3.14 起 Linux 的默认方式）。在 `spawn` 和
`forkserver` 下，子进程要**重新导入你的模块**才能找到要运行的函数，所以：

* 子进程运行的函数（`target`）必须定义在模块顶层（不能是 lambda 或函数里面的函数）；
* 模块顶层的演示代码必须放进 `if __name__ == "__main__":` 里，否则每个子进程启动时都会再执行一遍，
  又去启动新的进程——`multiprocessing` 会报错 “An attempt has been made to start a new process before
  the current process has finished its bootstrapping phase”。

`multiprocessing` starts children in one of three ways: `fork` (a copy of the parent; the default on
Linux before Python 3.14), `spawn` (a brand-new interpreter; the default on macOS and Windows) and
`forkserver` (a server process forks the children; the Linux default from Python 3.14). Under `spawn` and
`forkserver` a child **imports your module again** to find the function it runs, so:

* the function a child runs (its `target`) must be defined at the top level of the module (no lambda, no
  function inside a function);
* demo code at the module's top level belongs under `if __name__ == "__main__":`, or every child runs it
  again while it starts and tries to start processes of its own: `multiprocessing` stops that with "An
  attempt has been made to start a new process before the current process has finished its
  bootstrapping phase".

本课的代码要在三种启动方式下都能用，评分时三种都会试。在 macOS 或 Windows 的 Jupyter 里（`spawn`），
子进程找不到笔记本里定义的函数：可以在终端里用 `python -m autograder check ps4_processes processes.ipynb`
检查，它把笔记本当作模块导入。
This part's code must work under all three start methods, and the grader tries all three. In Jupyter on
macOS or Windows (`spawn`), children cannot find functions defined in the notebook: check your work in a
terminal with `python -m autograder check ps4_processes processes.ipynb`, which imports the notebook as a
module.

本课有三个练习，每个都从教程里一段有经典错误的代码开始：找到错误，改正它，然后运行下面的测试单元格。
This part has three exercises; each starts from the tutorial's code with a classic mistake in it: find
it, fix it, then run the test cell below it.
"""


import multiprocessing
import os
import queue
import threading
import time
from multiprocessing import JoinableQueue, Pipe, Process, Queue


# 教程里的函数，下面的演示用；子进程要按名字找到它们，所以写在模块顶层
# The tutorial's functions, used by the demo below; children find them by name, so they sit at the top level
def square_slowly(n):
    time.sleep(1)
    print(n * n)


def info(title):
    print(title)
    print("模块名 / module name:", __name__)
    print("父进程 / parent process:", os.getppid())
    print("本进程 / process id:", os.getpid())


# ## 教程里的例子 / The tutorial's examples
#
# 案例 19 直接生成 `Process` 实例；案例 21 打印模块名、父进程号和进程号。注意最后一行：子进程的
# 父进程号就是主程序的进程号（在 `forkserver` 下是服务进程的进程号）。
# Case 19 makes `Process` instances directly; case 21 prints the module name, the parent's id and the
# process's id. Look at the last lines: a child's parent id is the main program's id (under `forkserver`,
# the server's).


# 运行这个单元格（在 .py 里：python processes.py）/ Run this cell (or: python processes.py)
if __name__ == "__main__":
    # 案例 19：四个子进程同时睡 1 秒，然后各自打印（打印的结果回不到主进程）
    # case 19: four children sleep 1 s together, then each prints (what they print never reaches the parent)
    workers = [Process(target=square_slowly, args=[i]) for i in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    # 案例 21
    info("主进程 / main process")
    p = Process(target=info, args=("子进程 / child process",))
    p.start()
    p.join()


# ## 练习 1：每个 item 一个进程 / Exercise 1: one process per item
#
# 教程里的 `Process(target=f, args=[i,])` 启动了十个子进程，可是：`f` 只是**打印** `n*n`，结果回不到
# 主进程；主进程也从不 `join`。写 `map_in_processes(f, items)`：每个 item 启动一个
# `multiprocessing.Process`，在子进程里计算 `f(item)`，通过 `multiprocessing.Queue`（或 `Pipe`）把结果
# 送回来，按 **item 的顺序**返回结果列表；返回之前每个进程都要 `join`。
#
# 小心一个经典的死锁：子进程把很大的结果（比如 1 MB）放进队列，数据要经过管道，而管道只能装大约
# 64 KiB。子进程要等父进程读走数据才能结束；如果父进程先 `join()` 再读，父进程等子进程结束、子进程等
# 父进程来读——谁也动不了。所以**先读完结果，再 join**。
#
# The tutorial's `Process(target=f, args=[i,])` starts ten children, but `f` only **prints** `n*n`, so the
# results never reach the main program, and the main program never joins. Write `map_in_processes(f,
# items)`: start one `multiprocessing.Process` per item, compute `f(item)` in the child, send the result back
# through a `multiprocessing.Queue` (or a `Pipe`) and return the results as a list **in the order of the
# items**; join every process before returning.
#
# Beware a classic deadlock: a child that puts a large result (say 1 MB) on a queue sends it through a pipe,
# which holds only about 64 KiB. The child can end only once the parent has read the data; if the parent
# joins first and reads afterwards, the parent waits for the child to end while the child waits for the
# parent to read, and neither moves. So **read every result first, then join**.


def compute_one(f, index, item, results):
    results.put((index, f(item)))


def map_in_processes(f, items):
    results = multiprocessing.Queue()
    workers = [Process(target=compute_one, args=(f, index, item, results)) for index, item in enumerate(items)]
    for p in workers:
        p.start()
    by_index = {}
    for _ in workers:  # 先读完所有结果 / read every result first...
        index, value = results.get()
        by_index[index] = value
    for p in workers:  # ……再 join / ...then join
        p.join()
    return [by_index[index] for index in range(len(items))]


# 子进程运行的是模块顶层的 `compute_one`（spawn 和 forkserver 下子进程要按名字找到它），它把
# `(下标, f(item))` 放进队列：子进程的返回值回不到父进程，队列才行。结果按完成的顺序到达，所以带上下标，
# 最后按下标排回输入的顺序。先 `get()` 完所有结果再 `join()`：队列的数据要经过管道，管道满了子进程就
# 结束不了，先 join 会死锁。
# The children run the module-level `compute_one` (under spawn and forkserver a child must find it by
# name); it puts `(index, f(item))` on the queue, since a child's return value never reaches the parent.
# Results arrive in completion order, so they carry their index and are put back in input order at the end.
# Every result is read with `get()` before any `join()`: queued data travels through a pipe, and a child
# whose data does not fit in the pipe cannot end until someone reads it, so joining first deadlocks.


# ## 练习 2：`Process` 的子类 / Exercise 2: a `Process` subclass
#
# 案例 20 派生 `Process` 的子类，把要做的事写在 `run()` 里。和 `threading.Thread` 一样：子类的
# `__init__` 必须调用 `super().__init__()`；`start()` 才会启动新进程去执行 `run()`，直接调用 `run()`
# 只是在当前进程里调用一个普通方法。
#
# 写 `SquareProcess(n, results)`：`run()` 把 `(n, n * n, os.getpid(), os.getppid())` 放进 `results`
# （一个 `multiprocessing.Queue`）。再写 `squares_in_processes(numbers)`：每个数一个 `SquareProcess`，
# 按输入的顺序返回平方的列表。
#
# Case 20 subclasses `Process` and puts the work in `run()`. As with `threading.Thread`, a subclass's
# `__init__` must call `super().__init__()`, and `start()` is what starts a new process that runs `run()`;
# calling `run()` yourself is a plain method call in the current process.
#
# Write `SquareProcess(n, results)`: `run()` puts `(n, n * n, os.getpid(), os.getppid())` on `results` (a
# `multiprocessing.Queue`). Then `squares_in_processes(numbers)`: one `SquareProcess` per number, returning
# the list of squares in input order.


class SquareProcess(Process):
    def __init__(self, n, results):
        super().__init__()
        self.n = n
        self.results = results

    def run(self):
        self.results.put((self.n, self.n * self.n, os.getpid(), os.getppid()))


def squares_in_processes(numbers):
    results = multiprocessing.Queue()
    workers = [SquareProcess(n, results) for n in numbers]
    for p in workers:
        p.start()
    square_of = {}
    for _ in workers:
        n, square, pid, ppid = results.get()
        square_of[n] = square
    for p in workers:
        p.join()
    return [square_of[n] for n in numbers]


# `super().__init__()` 让 `multiprocessing.Process` 先把自己初始化好（名字、状态、要用的内部对象），
# 否则 `start()` 会报 AttributeError。`start()` 新建一个进程，在那里执行 `run()`，所以 `os.getpid()` 是
# 子进程的进程号，`os.getppid()` 是调用者的（forkserver 下是服务进程的）。结果按完成的顺序到达，
# `run()` 把 `n` 一起放进去，按 `n` 查平方就能排回输入的顺序；先读完再 join。
# `super().__init__()` lets `multiprocessing.Process` set itself up (its name, state and the internals it
# needs), or `start()` raises AttributeError. `start()` makes a new process that executes `run()`, so
# `os.getpid()` is the child's id and `os.getppid()` the caller's (the server's under forkserver). Results
# arrive in completion order; `run()` puts `n` along, so looking the square up by `n` restores input order.
# Read everything, then join.


# ## 练习 3：`JoinableQueue` 和改进的哨兵 / Exercise 3: `JoinableQueue` and the improved sentinel
#
# 案例 22：消费者从 `JoinableQueue` 里 `get()` 出 item，处理完调用 `task_done()`；主进程的
# `queue.join()` 一直等到**每个** `put()` 进去的 item 都有一次 `task_done()`。案例 23 在队列最后放一个
# **哨兵**（`None`），消费者取到它就结束。案例 24 改进了哨兵：**有几个消费者就放几个哨兵**——一个哨兵
# 只能让一个消费者结束，其他消费者会在 `get()` 里一直等下去。
#
# 写 `consume_all(items, n_consumers, f)`：启动 `n_consumers` 个消费者进程，通过一个
# `multiprocessing.JoinableQueue` 把 item 交给它们；消费者把 `f(item)` 送回来（再用一个
# `multiprocessing.Queue`），每取出一个 item（**包括哨兵**）都调用 `task_done()`。主进程给每个消费者
# 一个哨兵，读完所有结果，`join` 队列和所有进程，按输入的顺序返回结果。下面的代码是案例 23：一个哨兵，
# 也忘了 `task_done()`。
#
# Case 22: consumers `get()` items from a `JoinableQueue` and call `task_done()` once an item is handled;
# the main program's `queue.join()` waits until **every** item `put()` on it has had its `task_done()`. Case
# 23 puts a **sentinel** (`None`) at the end of the queue, and a consumer that takes it ends. Case 24
# improves on it: **one sentinel per consumer**, since a sentinel ends one consumer only, and the others
# wait in `get()` forever.
#
# Write `consume_all(items, n_consumers, f)`: start `n_consumers` consumer processes and hand them the items
# through one `multiprocessing.JoinableQueue`; the consumers send `f(item)` back (through a
# `multiprocessing.Queue`) and call `task_done()` for every item they take, **sentinels included**. The main
# program sends one sentinel per consumer, reads every result, joins the queue and every process, and returns
# the results in input order. The code below is case 23: one sentinel, and `task_done()` forgotten.


def consumer(tasks, results, f):
    while True:
        item = tasks.get()
        try:
            if item is None:  # 哨兵 / the sentinel
                break
            index, value = item
            results.put((index, f(value)))
        finally:
            tasks.task_done()  # 每个 item 都要，包括哨兵 / for every item, the sentinel too


def consume_all(items, n_consumers, f):
    tasks = multiprocessing.JoinableQueue()
    results = multiprocessing.Queue()
    consumers = [Process(target=consumer, args=(tasks, results, f)) for _ in range(n_consumers)]
    for p in consumers:
        p.start()
    for index, item in enumerate(items):
        tasks.put((index, item))
    for _ in consumers:  # 改进的哨兵：一个消费者一个（案例 24）/ the improved sentinel: one per consumer (case 24)
        tasks.put(None)
    got = dict(results.get() for _ in items)
    tasks.join()
    for p in consumers:
        p.join()
    return [got[index] for index in range(len(items))]


# 一个消费者一个哨兵，每个消费者才都能从 `get()` 里出来、结束。`task_done()` 放在 `finally` 里，每取出
# 一个 item 都会调用，哨兵和 `f` 出错的 item 也一样，`tasks.join()` 才会返回。结果从 `results` 队列
# 读回来（进程之间没有共享状态，消费者改动的列表父进程看不到），带着下标，最后按下标排好。先读完结果，
# 再 join 队列和进程。
# One sentinel per consumer lets every consumer leave `get()` and end. `task_done()` sits in `finally`, so it
# runs for every item taken, the sentinel and an item whose `f` failed included, and `tasks.join()` can
# return. Results come back through the `results` queue (processes share no state: a list a consumer
# changes is invisible to the parent) with their index, and are put in order at the end. Read the results
# first, then join the queue and the processes.


# 检查你的答案 / Check your work:
#     python -m autograder check ps4_processes processes.py
