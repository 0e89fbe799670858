# %% [markdown]
# # 多线程 VS 多进程 · 第 2 课：共享数据、锁和死锁
# # Threads vs processes · Part 2: shared state, locks and deadlock
#
# * 一个进程里的各个线程共享同一片数据空间：一个线程改了全局变量，别的线程马上看得到。
#   The threads of a process share one data space: when one thread changes a global, the others see it.
# * 这就是**共享互斥问题**：两个线程同时“读-改-写”同一个变量，一个线程的修改可能被另一个覆盖掉。
#   That is the **shared-state problem**: when two threads read-modify-write one variable at the same
#   time, one thread's change can overwrite the other's.
# * **锁**（`threading.Lock`）保证同一时刻只有一个线程执行被它保护的代码（临界区）：
#   `lock.acquire()` 上锁（申请锁），`lock.release()` 释放锁；`with lock:` 两步都替你做，出错时也会释放。
#   A **lock** (`threading.Lock`) lets only one thread at a time run the code it guards (the critical
#   section): `lock.acquire()` takes it, `lock.release()` gives it back; `with lock:` does both for
#   you, also when an exception is raised.
# * 两个线程各拿着一把锁、又都在等对方的锁，就谁也走不下去了：这叫**死锁**。
#   Two threads that each hold one lock and wait for the other's are stuck for good: a **deadlock**.
#
# 本课把教程里的 `myAdd`/`myMinu` 和 `lock_1`/`lock_2` 两个例子变成三个练习。每个练习都从
# 有经典错误的代码开始：找到它，改正它，然后运行下面的测试单元格。
# This part turns the tutorial's `myAdd`/`myMinu` and `lock_1`/`lock_2` examples into three
# exercises. Each starts from code with a classic mistake: find it, fix it, then run the test cell
# below it.
#
# **注意：测试通过不等于没有竞争。** 竞争只在“不走运”的线程切换时才出现，在 CPython 3.10 及以后的
# 版本里，没有锁的计数器几乎总是碰巧得到 0。评分时，评分程序会自己安排线程的切换，专门制造最坏的交错，
# 所以只有真正正确的代码才能拿满分。
# **Note: a passing test does not prove that there is no race.** A race only shows when the threads
# switch at an unlucky moment, and on CPython 3.10 and newer an unlocked counter almost always ends at
# 0 by luck. When grading, the grader schedules the threads itself and forces the worst
# interleavings, so only truly correct code gets full marks.
#
# 时间都是参数或者根本不需要：评分时不要依赖 `sleep(2)` 这样的固定时间。
# Durations are parameters, or not needed at all: never rely on a fixed `sleep(2)`.

# %% [setup]
import threading
import time

# 练习 1 的共享状态 / The shared state of exercise 1
total = 0
lock = threading.Lock()

# %% [helpers]
# 测试用的小工具，不用修改 / Helpers for the test cells: do not edit.
def run_with_limit(func, *args, seconds=3.0, why=("", "")):
    """在辅助线程里调用 func(*args)；超过 seconds 秒没返回就算失败（笔记本不会卡死）。
    Call func(*args) in a helper thread; fail if it has not returned within `seconds`
    (so a hang does not freeze your notebook). `why`: what a hang may mean, (zh, en)."""
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
        f"{func.__name__}() 在 {seconds} 秒内没有返回{why[0]} / {func.__name__}() did not return within {seconds} s{why[1]}")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def in_worker_thread():
    """True 表示当前不是主线程、也不是测试的辅助线程 / True when called from a thread of yours."""
    name = threading.current_thread().name
    return threading.current_thread() is not threading.main_thread() and name != "check-runner"


def in_two_threads(func, *args, seconds=3.0):
    """同时在两个线程里调用 func(*args)，返回两个结果 / Call func(*args) in two threads at once; return both results."""
    results, errors = [], []

    def call():
        try:
            results.append(func(*args))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call, name=f"check-thread-{i}", daemon=True) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds)
    assert not any(t.is_alive() for t in threads), (
        f"{func.__name__}() 在 {seconds} 秒内没有返回 / {func.__name__}() did not return within {seconds} s")
    if errors:
        raise errors[0]
    return results


class Rendezvous:
    """就像教程里的 time.sleep(2)：armed 之后，第一个走到 pause() 的线程停下来，等到另一个线程
    “动一步”（拿锁、等锁或者读写被检查的数）为止，最多等 seconds 秒。只停一次。
    Like the tutorial's time.sleep(2): once armed, the first thread that reaches pause() stops until
    another thread makes a move (takes or waits for a checked lock, or uses a checked number), at most
    `seconds`. It stops only once."""

    def __init__(self, seconds=1.0):
        self.seconds = seconds
        self.cond = threading.Condition()
        self.armed = False
        self.moves = {}  # thread -> number of moves

    def move(self):
        me = threading.current_thread()
        with self.cond:
            self.moves[me] = self.moves.get(me, 0) + 1
            self.cond.notify_all()

    def _moves_of_others(self, me):
        return sum(n for thread, n in self.moves.items() if thread is not me)

    def pause(self):
        me = threading.current_thread()
        with self.cond:
            if not self.armed:
                return
            self.armed = False
            before = self._moves_of_others(me)
            self.cond.wait_for(lambda: self._moves_of_others(me) > before, self.seconds)


class CheckedLock:
    """一把记录谁拿过它的锁（包着一把真正的锁）/ A lock (wrapping a real one) that records who takes it.
    pause_first：第一次拿到锁之后停下来等别的线程动一步 / after the first acquire, wait for another thread's move.
    hand_over：释放时如果有线程在等，先让它拿到锁 / on release, let a waiting thread take it first."""

    def __init__(self, inner, rendezvous, pause_first=False, hand_over=False):
        self.inner = inner
        self.rv = rendezvous
        self.pause_first = pause_first
        self.hand_over = hand_over
        self.depth = {}  # thread -> how many times it holds the lock now
        self.takers = []  # every thread that took it, in order
        self.waiting = 0
        self.taken = 0

    def acquire(self, blocking=True, timeout=-1):
        got = self.inner.acquire(False)
        if not got and blocking:
            with self.rv.cond:
                self.waiting += 1
            self.rv.move()
            try:
                got = self.inner.acquire(True, timeout)
            finally:
                with self.rv.cond:
                    self.waiting -= 1
                    self.rv.cond.notify_all()
        if got:
            me = threading.current_thread()
            with self.rv.cond:
                self.depth[me] = self.depth.get(me, 0) + 1
                self.takers.append(me)
                self.taken += 1
            self.rv.move()
            if self.pause_first:
                self.rv.pause()
        elif not blocking:
            self.rv.move()
        return got

    def release(self):
        me = threading.current_thread()
        with self.rv.cond:
            if self.depth.get(me, 0) > 1:
                self.depth[me] -= 1
            else:
                self.depth.pop(me, None)
            still_mine = me in self.depth
            taken_before = self.taken
        self.inner.release()
        if self.hand_over and not still_mine:
            with self.rv.cond:
                self.rv.cond.wait_for(lambda: self.taken != taken_before or self.waiting == 0, self.rv.seconds)

    def held_by(self, thread):
        return thread in self.depth

    def locked(self):
        return bool(self.depth)

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()

    def __getattr__(self, name):
        return getattr(self.inner, name)


class PausingInt(int):
    """一个整数：每次比较或加减之前先调用 rendezvous.pause()，让另一个线程有机会插进来。
    An int that calls rendezvous.pause() before every comparison or addition/subtraction, so that
    another thread gets a chance to come in between."""

    def _step(self):
        rv = self.__dict__.get("rendezvous")
        if rv is not None:
            rv.move()
            rv.pause()

    def __ge__(self, other):
        self._step()
        return int(self) >= other

    def __gt__(self, other):
        self._step()
        return int(self) > other

    def __le__(self, other):
        self._step()
        return int(self) <= other

    def __lt__(self, other):
        self._step()
        return int(self) < other

    def __add__(self, other):
        self._step()
        return int(self) + other

    def __radd__(self, other):
        self._step()
        return other + int(self)

    def __sub__(self, other):
        self._step()
        return int(self) - other

    def __rsub__(self, other):
        self._step()
        return other - int(self)


def pausing_int(value, rendezvous):
    number = PausingInt(value)
    number.rendezvous = rendezvous
    return number


def check_account_locks(account, rendezvous):
    """把账户（和它的类）里的 Lock/RLock 换成会“交接”的 CheckedLock；返回一个还原它们的函数。
    Replace the Lock/RLock attributes of an account (and of its class) by hand-over CheckedLocks;
    returns a function that puts the originals back."""
    lock_types = (type(threading.Lock()), type(threading.RLock()))
    replaced = []
    for owner in (account, type(account)):
        for name, value in list(getattr(owner, "__dict__", {}).items()):
            if isinstance(value, lock_types):
                setattr(owner, name, CheckedLock(value, rendezvous, hand_over=True))
                replaced.append((owner, name, value))

    def restore():
        for owner, name, value in replaced:
            setattr(owner, name, value)

    return restore

# %% [markdown]
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

# %% [skeleton] add_and_subtract
def add(n):
    global total
    for _ in range(n):
        total += 1


def subtract(n):
    global total
    for _ in range(n):
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

# %% [solution] add_and_subtract
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

# %% [explain] add_and_subtract
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

# %% [test] add_and_subtract points=2
# 把模块的 lock 暂时换成一把会记录谁拿过它的锁 / Temporarily replace the module's lock by one that records who takes it
saved_lock = lock
lock = CheckedLock(threading.RLock() if isinstance(saved_lock, type(threading.RLock())) else threading.Lock(),
                   Rendezvous())
try:
    result = run_with_limit(add_and_subtract, 100,
                            why=("：锁是不是没有释放？", ": was a lock never released?"))
finally:
    checked_lock, lock = lock, saved_lock
assert result == 0 and total == 0, f"add_and_subtract(100) == {result!r}, total == {total!r}"
workers = {t for t in checked_lock.takers if t is not threading.main_thread() and t.name != "check-runner"}
assert len(workers) >= 2, (
    f"模块的 lock 只在 {len(workers)} 个你的线程里用过：add 和 subtract 都要在各自的线程里用同一把 lock 保护 total / "
    f"the module's lock was taken in {len(workers)} of your threads: add and subtract must both guard total "
    "with that same lock, each in its own thread")
assert not checked_lock.locked(), "lock 没有被释放 / the lock was never released"
print("✓ add_and_subtract（注意：测试通过不能证明没有竞争 / passing does not prove there is no race）")

# %% [hint] add_and_subtract
# zh: 在 add 和 subtract 的循环里都用 `with lock:` 包住 total 的修改，读和写在同一个 with 里。
# en: In both add and subtract, wrap the change of total in `with lock:`, reading and writing inside one with block.

# %% [markdown]
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

# %% [skeleton] Account
class Account:
    def __init__(self, balance):
        self.balance = balance

    def deposit(self, amount):
        self.balance += amount

    def withdraw(self, amount):
        if self.balance >= amount:
            self.balance -= amount
            return True
        return False

# %% [solution] Account
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

# %% [explain] Account
# 检查（`balance >= amount`）和扣钱必须在**同一次**拿锁的时间里完成：如果检查完就放开锁，
# 另一个线程可以在这时取走钱，检查的结果就过时了。存钱也是“读、加、写”，同样要用这把锁，
# 否则存款可能丢失。锁是账户的属性，所以不同的账户互不影响。
# The check (`balance >= amount`) and the subtraction must happen while the lock is held **once**:
# if the lock is released after the check, another thread can take the money in the meantime and
# the check is stale. A deposit is a read-add-write too and needs the same lock, or deposits can be
# lost. The lock is an attribute of the account, so different accounts do not block each other.

# %% [test] Account points=2
# 1. 一个线程里的规则 / The rules, in one thread
def account_rules():
    account = Account(100)
    assert account.balance == 100, f"Account(100).balance == {account.balance!r}"
    assert account.withdraw(30) is True and account.balance == 70, (
        "取 30 元应该返回 True，余额变成 70 / withdrawing 30 should return True and leave 70")
    assert account.withdraw(100) is False and account.balance == 70, (
        "余额 70 时取 100 元应该返回 False，余额不变 / withdrawing 100 from 70 should return False and change nothing")
    assert account.withdraw(70) is True and account.balance == 0, (
        "余额正好够时可以取 / withdrawing exactly the balance is allowed")
    account.deposit(25)
    assert account.balance == 25, f"存 25 元之后余额是 / after depositing 25 the balance is {account.balance!r}"


run_with_limit(account_rules, seconds=2.0)

# 2. 王老大和王大鹏同时取 100 元 / 王老大 and 王大鹏 withdraw 100 at the same time
rendezvous = Rendezvous()
account = Account(pausing_int(100, rendezvous))
restore_locks = check_account_locks(account, rendezvous)
try:
    rendezvous.armed = True
    answers = in_two_threads(account.withdraw, 100)
finally:
    rendezvous.armed = False
    restore_locks()
assert answers.count(True) <= 1, (
    "余额 100，两个线程同时取 100，两次都成功了，余额变成了负数（检查和扣钱要在同一个临界区里）/ "
    "two threads withdrew 100 from a balance of 100 at once and both succeeded: the balance went negative "
    "(check and subtract must be in one critical section)")
assert sorted(answers) == [False, True] and account.balance == 0, (
    f"余额 100，两个线程同时取 100：withdraw 返回了 {sorted(answers)}，余额是 {int(account.balance)} / "
    f"two threads withdrew 100 from 100 at once: withdraw returned {sorted(answers)}, the balance is {int(account.balance)}")

# 3. 两个线程同时存 10 元 / Two threads deposit 10 at the same time
rendezvous = Rendezvous()
account = Account(pausing_int(0, rendezvous))
restore_locks = check_account_locks(account, rendezvous)
try:
    rendezvous.armed = True
    in_two_threads(account.deposit, 10)
finally:
    rendezvous.armed = False
    restore_locks()
assert account.balance == 20, (
    f"余额 0，两个线程同时存 10 元，余额却是 {int(account.balance)}（存钱也要用锁）/ "
    f"two threads deposited 10 into 0 at once, yet the balance is {int(account.balance)} (deposit needs the lock too)")

# 4. 很多线程同时存取 / Many threads at once
account = Account(0)
successes = []


def customer():
    ok = 0
    for _ in range(50):
        account.deposit(2)
        if account.withdraw(3):
            ok += 1
        assert account.balance >= 0, "余额变成了负数 / the balance went negative"
    successes.append(ok)


customers = [threading.Thread(target=customer, name=f"customer-{i}", daemon=True) for i in range(4)]
for c in customers:
    c.start()
deadline = time.monotonic() + 3.0
for c in customers:
    c.join(max(0.0, deadline - time.monotonic()))
assert len(successes) == 4, "有的线程没有结束或者出错了 / some threads did not finish or raised"
assert account.balance == 4 * 50 * 2 - 3 * sum(successes), (
    f"余额 {account.balance} 不等于存款减去成功的取款 / the balance {account.balance} is not deposits minus successful withdrawals")
print("✓ Account（注意：测试通过不能证明没有竞争 / passing does not prove there is no race）")

# %% [hint] Account
# zh: 在 __init__ 里创建 self._lock = threading.Lock()；deposit 和 withdraw 都用 `with self._lock:`，withdraw 的检查和扣钱放在同一个 with 里。
# en: Create self._lock = threading.Lock() in __init__; use `with self._lock:` in both deposit and withdraw, with withdraw's check and subtraction inside one with block.

# %% [markdown]
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

# %% [skeleton] run_both
lock_1 = threading.Lock()
lock_2 = threading.Lock()


def func_1(work, timeout=0.2):
    print("func_1 starting.........")
    lock_1.acquire(timeout=timeout)
    print("func_1 申请了 lock_1....")
    print("func_1 等待 lock_2.......")
    rst = lock_2.acquire(timeout=timeout)
    if rst:
        print("func_1 已经得到锁 lock_2")
        work("func_1")
        lock_2.release()
        print("func_1 释放了锁 lock_2")
    else:
        print("func_1 注定没申请到lock_2.....")
    lock_1.release()
    print("func_1 释放了 lock_1")
    print("func_1 done..........")


def func_2(work):
    print("func_2 starting.........")
    lock_2.acquire()
    print("func_2 申请了 lock_2....")
    print("func_2 等待 lock_1.......")
    lock_1.acquire()
    print("func_2 申请了 lock_1.......")
    work("func_2")
    lock_1.release()
    print("func_2 释放了 lock_1")
    lock_2.release()
    print("func_2 释放了 lock_2")
    print("func_2 done..........")


def run_both(work):
    t1 = threading.Thread(target=func_1, args=(work,))
    t2 = threading.Thread(target=func_2, args=(work,))
    t1.start()
    t2.start()
    t1.join()
    t2.join()

# %% [solution] run_both
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

# %% [explain] run_both
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

# %% [test] run_both points=2
# 暂时把 lock_1、lock_2 换成新的、会记录的锁：第一个拿到锁的线程会停下来，等另一个线程也动一步
# （就像教程里的 sleep）。Temporarily replace lock_1 and lock_2 by new recording locks: the first
# thread to take one stops until the other thread has made its move too (like the tutorial's sleep).
rendezvous = Rendezvous()
checked_1 = CheckedLock(threading.Lock(), rendezvous, pause_first=True)
checked_2 = CheckedLock(threading.Lock(), rendezvous, pause_first=True)
work_calls = []


def work(name):
    me = threading.current_thread()
    work_calls.append((name, checked_1.held_by(me) and checked_2.held_by(me), in_worker_thread(), me))


saved_locks = (lock_1, lock_2)
lock_1, lock_2 = checked_1, checked_2
try:
    rendezvous.armed = True
    run_with_limit(run_both, work, seconds=3.0, why=("：死锁了吗？", ": a deadlock?"))
finally:
    rendezvous.armed = False
    lock_1, lock_2 = saved_locks
names = [call[0] for call in work_calls]
assert len(names) == len(set(names)) and set(names) <= {"func_1", "func_2"}, (
    "work 应该被 func_1 和 func_2 各调用一次：work(\"func_1\")、work(\"func_2\") / "
    "work should be called exactly once by each function: work(\"func_1\") and work(\"func_2\")")
assert len(names) == 2, (
    "有一个函数没有调用 work（超时放弃就没有做事）/ "
    "a function never called work (giving up on a timeout skips the work)")
for name, held_both, in_thread, _ in sorted(work_calls, key=lambda call: call[0]):
    assert held_both, f"work({name!r}) 被调用时没有同时拿着 lock_1 和 lock_2 / work({name!r}) was called without holding both lock_1 and lock_2"
    assert in_thread, f"work({name!r}) 应该在你创建的线程里运行 / work({name!r}) should run in a thread you started"
assert work_calls[0][3] is not work_calls[1][3], "func_1 和 func_2 应该在两个线程里运行 / func_1 and func_2 should run in two threads"
print("✓ run_both（注意：测试通过不能证明没有死锁 / passing does not prove there is no deadlock）")

# %% [hint] run_both
# zh: 让两个函数按同一个顺序拿锁：都先 `with lock_1:` 再 `with lock_2:`，在里面调用 work；不要用 timeout 放弃。
# en: Make both functions take the locks in the same order: `with lock_1:` then `with lock_2:`, and call work inside; do not give up on a timeout.

# %% [demo]
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
