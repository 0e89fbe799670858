"""# 多线程 VS 多进程 · 第 2 课：共享数据、锁和死锁
# Threads vs processes · Part 2: shared state, locks and deadlock

* 一个进程里的各个线程共享同一片数据空间：一个线程改了全局变量，别的线程马上看得到。
  The threads of a process share one data space: when one thread changes a global, the others see it.
* 这就是**共享互斥问题**：两个线程同时“读-改-写”同一个变量，一个线程的修改可能被另一个覆盖掉。
  That is the **shared-state problem**: when two threads read-modify-write one variable at the same
  time, one thread's change can overwrite the other's.
* **锁**（`threading.Lock`）保证同一时刻只有一个线程执行被它保护的代码（临界区）：
  `lock.acquire()` 上锁（申请锁），`lock.release()` 释放锁；`with lock:` 两步都替你做，出错时也会释放。
  A **lock** (`threading.Lock`) lets only one thread at a time run the code it guards (the critical
  section): `lock.acquire()` takes it, `lock.release()` gives it back; `with lock:` does both for
  you, also when an exception is raised.
* 两个线程各拿着一把锁、又都在等对方的锁，就谁也走不下去了：这叫**死锁**。
  Two threads that each hold one lock and wait for the other's are stuck for good: a **deadlock**.

本课把教程里的 `myAdd`/`myMinu` 和 `lock_1`/`lock_2` 两个例子变成三个练习。每个练习都从
有经典错误的代码开始：找到它，改正它，然后运行下面的测试单元格。
This part turns the tutorial's `myAdd`/`myMinu` and `lock_1`/`lock_2` examples into three
exercises. Each starts from code with a classic mistake: find it, fix it, then run the test cell
below it.

**注意：测试通过不等于没有竞争。** 竞争只在“不走运”的线程切换时才出现，在 CPython 3.10 及以后的
版本里，没有锁的计数器几乎总是碰巧得到 0。评分时，评分程序会自己安排线程的切换，专门制造最坏的交错，
所以只有真正正确的代码才能拿满分。
**Note: a passing test does not prove that there is no race.** A race only shows when the threads
switch at an unlucky moment, and on CPython 3.10 and newer an unlocked counter almost always ends at
0 by luck. When grading, the grader schedules the threads itself and forces the worst
interleavings, so only truly correct code gets full marks.

时间都是参数或者根本不需要：评分时不要依赖 `sleep(2)` 这样的固定时间。
Durations are parameters, or not needed at all: never rely on a fixed `sleep(2)`.
"""


import threading
import time

# 练习 1 的共享状态 / The shared state of exercise 1
total = 0
lock = threading.Lock()


# ## 练习 1：加一减一，结果为零 / Exercise 1: add and subtract, ending at zero
#
# 教程里的 `myAdd` 把全局变量 `sum` 加一一百万次，`myMinu` 减一一百万次，两个函数在两个线程里
# 同时运行。`sum += 1` 看起来是一步，其实是三步：读出 `sum`、加一、写回去。如果一个线程读出之后、
# 写回之前另一个线程改了 `sum`，那次修改就丢了，最后的结果不是 0。教程用 `lock.acquire()` 和
# `lock.release()` 把每次修改包起来：同一时刻只有一个线程能改 `sum`。
#
# The tutorial's `myAdd` adds one to the global `sum` a million times and `myMinu` subtracts one a
# million times, in two threads at the same time. `sum += 1` looks like one step but is three: read
# `sum`, add one, write it back. If another thread changes `sum` after one thread has read it and
# before it writes back, that change is lost and the result is not 0. The tutorial wraps every change
# in `lock.acquire()` and `lock.release()`: only one thread at a time can change `sum`.
#
# 下面的代码是去掉了锁的版本（变量改叫 `total`，因为 `sum` 是 Python 的内置函数）。
# 用模块里已经定义好的 `lock` 改正 `add(n)` 和 `subtract(n)`：它们把 `total` 加一（减一）`n` 次。
# `add_and_subtract(n)` 把 `total` 清零，在两个线程里同时运行 `add(n)` 和 `subtract(n)`，等它们结束，
# 返回 `total`——无论线程怎样切换，结果都必须是 0。
#
# The code below is the version without the lock (the variable is called `total`, because `sum` is
# a Python built-in). Fix `add(n)` and `subtract(n)` with the module's `lock`, which is already
# defined: they change `total` by one, `n` times. `add_and_subtract(n)` resets `total` to 0, runs
# `add(n)` and `subtract(n)` in two threads at the same time, waits for them and returns `total`,
# which must be 0 however the threads switch.


def add(n):
    global total
    for _ in range(n):
        # 上锁，申请锁；离开 with 时释放锁 / take the lock; leaving the with block releases it
        with lock:
            total += 1


def subtract(n):
    global total
    for _ in range(n):
        with lock:
            total -= 1


def add_and_subtract(n):
    global total
    total = 0
    t1 = threading.Thread(target=add, args=(n,))
    t2 = threading.Thread(target=subtract, args=(n,))
    t1.start()
    t2.start()
    t1.join()
    t2.join()
    return total


# `total += 1` 是“读、加、写”三步，线程可能在中间被切换。读和写必须在**同一个**临界区里，
# 并且两边（加和减）都要用**同一把**锁：`with lock:` 里的代码同一时刻只有一个线程在执行，
# 所以没有修改会丢失。`with` 在离开时（出错时也一样）释放锁；只 acquire 不 release 的话，
# 下一次 acquire 就永远等下去。每次调用都新建一把锁（`with threading.Lock():`）什么也保护不了：
# 每个线程拿的都是自己的锁。
# `total += 1` is three steps (read, add, write) and a thread can be switched out in between. The
# read and the write must be in **one** critical section, and both sides (add and subtract) must use
# **the same** lock: only one thread at a time runs the code inside `with lock:`, so no change is
# lost. `with` releases the lock on the way out (also on an exception); acquiring without releasing
# makes the next acquire wait forever. A new lock per call (`with threading.Lock():`) protects
# nothing: every thread takes a lock of its own.


# ## 练习 2：线程安全的账户 / Exercise 2: a thread-safe account
#
# 王老大和王大鹏共用一个账户，余额 100 元。两个人在两个线程里同时取 100 元：两个线程都先检查
# “余额够不够”，都看到 100，然后都把钱取走了——余额变成了 -100。这叫“先检查后执行”
# （check-then-act）：检查和修改之间，别的线程可能已经改了余额。
#
# 王老大 and 王大鹏 share an account holding 100 yuan. Both withdraw 100 at the same time, in two
# threads: both first check "is there enough money?", both see 100, and both take the money out: the
# balance is now -100. This is check-then-act: between the check and the change another thread may
# already have changed the balance.
#
# 改正 `Account`：`Account(balance)` 有属性 `balance`；`deposit(amount)` 存钱；`withdraw(amount)`
# 只有在 `balance >= amount` 时才扣钱并返回 `True`，否则什么也不改，返回 `False`。很多线程可能
# 同时调用这两个方法：余额永远不能是负数，并且总是等于开始的余额加上存款、减去成功的取款。
# 提示：每个账户一把锁（比如在 `__init__` 里 `self._lock = threading.Lock()`）。
#
# Fix `Account`: `Account(balance)` has an attribute `balance`; `deposit(amount)` adds money;
# `withdraw(amount)` subtracts and returns `True` only if `balance >= amount`, and otherwise changes
# nothing and returns `False`. Many threads may call both at once: the balance must never go negative
# and must always equal the starting balance plus the deposits minus the successful withdrawals.
# Hint: one lock per account (for instance `self._lock = threading.Lock()` in `__init__`).
#
# 下面的测试像教程里的 `time.sleep(2)` 一样，在检查和修改之间故意停一下，让另一个线程插进来。
# The test below pauses on purpose between the check and the change, like the tutorial's
# `time.sleep(2)`, so that the other thread gets in between.


class Account:
    def __init__(self, balance):
        self.balance = balance
        self._lock = threading.Lock()  # 每个账户一把锁 / one lock per account

    def deposit(self, amount):
        with self._lock:
            self.balance += amount

    def withdraw(self, amount):
        with self._lock:  # 检查和扣钱在同一个临界区里 / check and subtract in one critical section
            if self.balance >= amount:
                self.balance -= amount
                return True
            return False


# 检查（`balance >= amount`）和扣钱必须在**同一次**拿锁的时间里完成：如果检查完就放开锁，
# 另一个线程可以在这时取走钱，检查的结果就过时了。存钱也是“读、加、写”，同样要用这把锁，
# 否则存款可能丢失。锁是账户的属性，所以不同的账户互不影响。
# The check (`balance >= amount`) and the subtraction must happen while the lock is held **once**:
# if the lock is released after the check, another thread can take the money in the meantime and
# the check is stale. A deposit is a read-add-write too and needs the same lock, or deposits can be
# lost. The lock is an attribute of the account, so different accounts do not block each other.


# ## 练习 3：两把锁，不死锁 / Exercise 3: two locks, no deadlock
#
# 教程最后一个锁的例子：`func_1` 先拿 `lock_1` 再拿 `lock_2`，`func_2` 先拿 `lock_2` 再拿 `lock_1`。
# 两个函数都先睡一会儿，于是各拿到一把锁，又都等着对方的那把——死锁。教程让 `func_1` 用
# `lock_2.acquire(timeout=2)` 等一会儿就放弃：程序结束了，可是 `func_1` “注定没申请到lock_2”，
# 它要做的事根本没做。
#
# The tutorial's last lock example: `func_1` takes `lock_1` then `lock_2`; `func_2` takes `lock_2`
# then `lock_1`. Both sleep a while in between, so each gets one lock and waits for the other's: a
# deadlock. The tutorial lets `func_1` give up after `lock_2.acquire(timeout=2)`: the program ends,
# but `func_1` 注定没申请到lock_2 ("was doomed never to get lock_2") and its work was never done.
#
# 改正 `func_1(work)` 和 `func_2(work)`：它们在**同时拿着 `lock_1` 和 `lock_2`** 的时候分别调用
# `work("func_1")` 和 `work("func_2")`，每个恰好一次，在任何线程切换下都不会死锁，也不会放弃。
# `run_both(work)` 在两个线程里同时运行它们，并等它们结束。下面的代码没有 `sleep`，
# 运行时多半碰巧不会死锁，但评分程序会制造教程里那种交错。
#
# Fix `func_1(work)` and `func_2(work)`: they call `work("func_1")` and `work("func_2")`, exactly
# once each, **while holding both `lock_1` and `lock_2`**, without deadlock and without giving up
# whatever the schedule. `run_both(work)` runs them in two threads at the same time and waits for
# them. The code below has no `sleep`, so it will mostly not deadlock by luck, but the grader forces
# the tutorial's interleaving.


lock_1 = threading.Lock()
lock_2 = threading.Lock()


def func_1(work):
    print("func_1 starting.........")
    with lock_1:
        print("func_1 申请了 lock_1....")
        with lock_2:
            print("func_1 已经得到锁 lock_2")
            work("func_1")
        print("func_1 释放了锁 lock_2")
    print("func_1 释放了 lock_1")
    print("func_1 done..........")


def func_2(work):
    print("func_2 starting.........")
    with lock_1:  # 和 func_1 一样，先 lock_1 后 lock_2 / like func_1: lock_1 first, then lock_2
        print("func_2 申请了 lock_1.......")
        with lock_2:
            print("func_2 申请了 lock_2....")
            work("func_2")
        print("func_2 释放了 lock_2")
    print("func_2 释放了 lock_1")
    print("func_2 done..........")


def run_both(work):
    t1 = threading.Thread(target=func_1, args=(work,))
    t2 = threading.Thread(target=func_2, args=(work,))
    t1.start()
    t2.start()
    t1.join()
    t2.join()


# 死锁要有一个“环”：A 拿着 lock_1 等 lock_2，B 拿着 lock_2 等 lock_1。如果所有线程都按**同一个
# 顺序**拿锁（先 lock_1 后 lock_2），谁拿到了 lock_1，lock_2 就只可能被它拿，环就不会出现。
# `acquire(timeout=...)` 不能解决死锁，它只是让线程放弃，要做的事就没做；`sleep` 也只是让死锁
# 更容易出现，去掉它死锁照样可能发生。`with` 保证两把锁都会按相反的顺序释放。
# A deadlock needs a cycle: A holds lock_1 and waits for lock_2 while B holds lock_2 and waits for
# lock_1. If every thread takes the locks in **the same order** (lock_1, then lock_2), whoever holds
# lock_1 is the only one that can ask for lock_2, so no cycle can form. `acquire(timeout=...)` does
# not fix a deadlock, it only makes a thread give up and skip its work; the tutorial's `sleep` only
# makes the deadlock likely, and without it the deadlock can still happen. `with` releases both
# locks, in reverse order.


# 演示：运行这个单元格，看看教程里的例子改正之后的样子
# Demo: run this cell to watch the tutorial's examples, fixed
if __name__ == "__main__":
    print("Starting ....{0}".format(total))
    print("Done .... {0}".format(add_and_subtract(100000)))

    account = Account(100)
    print("王老大取 100 元 / 王老大 withdraws 100:", account.withdraw(100))
    print("王大鹏取 100 元 / 王大鹏 withdraws 100:", account.withdraw(100))
    print("余额 / balance:", account.balance)

    print("主程序启动..............")
    run_both(lambda name: print(name, "同时拿着 lock_1 和 lock_2 / holds lock_1 and lock_2"))
    print("主程序结束..............")


# 检查你的答案 / Check your work:
#     python -m autograder check ps2_locks locks.py
