# %% [markdown]
# # 多线程 VS 多进程 · 第 3 课：生产者和消费者：`queue.Queue`
# # Threads vs processes · Part 3: producers and consumers with `queue.Queue`
#
# * `queue.Queue` 是线程安全的队列：`put()` 放进一个值，`get()` 取出一个值，多个线程同时用也不会出错，
#   不用自己加锁。
#   `queue.Queue` is a thread-safe queue: `put()` puts a value in, `get()` takes one out, and many
#   threads may use it at once without a lock of your own.
# * 队列空的时候，`get()` 会**等待**，直到有值可取；`Queue(maxsize)` 满了的时候，`put()` 会等待，直到有空位。
#   等待中的线程不占 CPU。
#   When the queue is empty, `get()` **waits** until there is a value; when a `Queue(maxsize)` is
#   full, `put()` waits until there is room. A waiting thread uses no CPU.
# * **生产者**线程往队列里放产品，**消费者**线程从队列里取出产品来处理。消费者怎么知道活儿干完了？
#   生产者都结束之后，往队列里放一个特殊的值——**哨兵**（sentinel）——消费者取到它就停下来。
#   **Producer** threads put products into the queue, **consumer** threads take them out and handle
#   them. How does a consumer know that the work is over? Once every producer has finished, put a
#   special value, a **sentinel**, into the queue: a consumer that takes it stops.
# * `task_done()` 和 `join()`：每取出一个值并处理完，调用一次 `q.task_done()`；`q.join()` 一直等到
#   放进去的每个值都“做完了”。
#   `task_done()` and `join()`: call `q.task_done()` once for every value taken out and handled;
#   `q.join()` waits until every value put in is "done".
#
# 本课把教程里的 Producer/Consumer 例子变成两个练习。教程的程序**永远不会停**：消费者一直在用
# `qsize()` 看队列里有多少东西，然后睡一会儿再看。
# This part turns the tutorial's Producer/Consumer example into two exercises. The tutorial's program
# **never stops**: the consumers keep looking at `qsize()` to see how much the queue holds, then sleep
# and look again.
#
# **注意：评分时生产者会故意很慢。** 评分程序自己安排线程的切换，让每个产品都要“做”一会儿，所以队列
# 经常是空的：用 `empty()`、`qsize()` 或者 `get(timeout=...)` 来判断“活儿干完了”的消费者，评分时一定会
# 漏掉产品。只有哨兵能告诉消费者：不会再有产品了。
# **Note: when grading, the producers are slow on purpose.** The grader schedules the threads itself
# and makes every product take a while to make, so the queue is often empty: a consumer that decides
# "the work is over" from `empty()`, `qsize()` or `get(timeout=...)` will miss products when graded.
# Only a sentinel tells a consumer that no more products are coming.

# %% [setup]
import queue
import threading
import time

# %% [helpers]
# 测试用的小工具，不用修改 / Helpers for the test cells: do not edit.
import contextlib


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


def wait_until(condition, seconds=2.0):
    """最多等 seconds 秒，直到 condition() 为真 / Wait at most `seconds` until condition() holds."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)
    return bool(condition())


def new_threads_alive(before, daemon=None):
    """测试开始之后才出现、现在还活着的线程 / Threads that appeared since `before` and are still alive."""
    return [t for t in threading.enumerate() if t not in before and t.is_alive()
            and t.name != "check-runner" and (daemon is None or t.daemon == daemon)]


@contextlib.contextmanager
def slow_producers(seconds=0.02):
    """在 with 里，你的线程每次 put() 之前先等 seconds 秒（做一个产品要时间），就像评分时那样。
    Inside the with block, each put() made by a thread of yours first waits `seconds` (making a
    product takes time), as when grading."""
    import queue as queue_module

    real = queue_module.Queue

    class SlowQueue(real):
        def put(self, item, block=True, timeout=None):
            if in_worker_thread():
                time.sleep(seconds)
            real.put(self, item, block, timeout)

    names = [name for name, value in globals().items() if value is real]  # from queue import Queue
    queue_module.Queue = SlowQueue
    for name in names:
        globals()[name] = SlowQueue
    try:
        yield
    finally:
        queue_module.Queue = real
        for name in names:
            globals()[name] = real


class ItemFailed(Exception):
    """测试的 handle 故意抛出的异常 / Raised on purpose by the test's handle."""


_quiet = {"armed": False, "threads": set()}


@contextlib.contextmanager
def quiet_thread_errors():
    """在 with 里启动的线程抛出异常时只打印一行（测试故意抛出的 ItemFailed 不打印），不打印整个 traceback。
    A thread started inside the with block that raises prints one line instead of a traceback (ItemFailed,
    raised on purpose by the test, prints nothing)."""
    hook = threading.excepthook
    if not getattr(hook, "quiet_for_tests", False):
        def quiet(args):
            if _quiet["armed"] or args.thread in _quiet["threads"]:
                if not isinstance(args.exc_value, ItemFailed):
                    name = args.thread.name if args.thread is not None else "?"
                    print(f"{name} 出错了 / raised {args.exc_type.__name__}: {args.exc_value}")
                return
            hook(args)

        quiet.quiet_for_tests = True
        threading.excepthook = quiet
    before = set(threading.enumerate())
    _quiet["armed"] = True
    try:
        yield
    finally:
        _quiet["threads"].update(new_threads_alive(before))
        _quiet["armed"] = False

# %% [markdown]
# ## 练习 1：生产者、消费者和哨兵 / Exercise 1: producers, consumers and sentinels
#
# 下面是教程里的 Producer 和 Consumer，改成了一个函数 `produce_and_consume(n_items, n_producers,
# n_consumers, handle, maxsize=0)`：`n_producers` 个生产者线程一起把 `0` 到 `n_items - 1` 每个数
# **恰好放一次**到同一个 `queue.Queue(maxsize)` 里；`n_consumers` 个消费者线程取出产品，对每个产品
# 调用一次 `handle(item)`。产品全部处理完、这个函数启动的线程全部结束之后，函数才返回。
#
# Below are the tutorial's Producer and Consumer, turned into one function
# `produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0)`: `n_producers` producer
# threads together put each of `0` to `n_items - 1` **exactly once** into one `queue.Queue(maxsize)`;
# `n_consumers` consumer threads take the products out and call `handle(item)` once per product. The
# function returns once every product is handled and every thread it started has ended.
#
# 现在的代码永远不会返回：消费者的 `while True` 从来不停，而且它靠 `qsize()` 一遍遍地看队列（轮询），
# 而不是在 `get()` 里等。改正它：
# The code below never returns: the consumers' `while True` never stops, and they keep looking at
# `qsize()` (polling) instead of waiting in `get()`. Fix it:
#
# 1. 消费者直接 `get()`：队列空的时候它会等，不占 CPU。/ Consumers just call `get()`: on an empty
#    queue it waits, using no CPU.
# 2. 先 `join()` 所有生产者，然后给**每个**消费者放一个哨兵（比如 `None`）；消费者取到哨兵就结束。
#    `empty()`、`qsize()`、`get(timeout=...)` 都不能说明生产者已经做完了：也许下一个产品只是还没做好。
#    First `join()` every producer, then put one sentinel (`None`, say) for **each** consumer; a consumer
#    that takes a sentinel ends. Neither `empty()`, `qsize()` nor `get(timeout=...)` can tell that the
#    producers are done: the next product may just not be ready yet.
# 3. 最后 `join()` 所有消费者再返回。/ Finally `join()` every consumer before returning.
#
# `maxsize` 大于 0 时队列最多放 `maxsize` 个产品，满了 `put()` 就等：生产者不会比消费者快太多。
# With `maxsize` above 0 the queue holds at most `maxsize` products and `put()` waits when it is
# full: the producers cannot run far ahead of the consumers.

# %% [skeleton] produce_and_consume
class Producer(threading.Thread):
    def __init__(self, q, items):
        super().__init__()
        self.q = q
        self.items = items

    def run(self):
        for item in self.items:
            # put是往queue中放入一个值 / put puts a value into the queue
            self.q.put(item)
            print(self.name + ' 生成产品' + str(item))


class Consumer(threading.Thread):
    def __init__(self, q, handle):
        super().__init__()
        self.q = q
        self.handle = handle

    def run(self):
        while True:
            # qsize返回queue内容长度 / qsize returns how many values the queue holds
            if self.q.qsize() > 0:
                # get是从queue中取出一个值 / get takes a value out of the queue
                item = self.q.get()
                self.handle(item)
                print(self.name + '消费了 ' + str(item))
            time.sleep(0.01)


def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = queue.Queue(maxsize)
    producers = [Producer(q, range(i, n_items, n_producers)) for i in range(n_producers)]
    consumers = [Consumer(q, handle) for i in range(n_consumers)]
    for t in producers + consumers:
        t.start()
    for t in producers + consumers:
        t.join()

# %% [solution] produce_and_consume
STOP = None  # 哨兵：产品都是整数，不会是 None / the sentinel: products are integers, never None


class Producer(threading.Thread):
    def __init__(self, q, items):
        super().__init__()
        self.q = q
        self.items = items

    def run(self):
        for item in self.items:
            # put是往queue中放入一个值；队列满了就在这里等 / put puts a value in; waits here while the queue is full
            self.q.put(item)
            print(self.name + ' 生成产品' + str(item))


class Consumer(threading.Thread):
    def __init__(self, q, handle):
        super().__init__()
        self.q = q
        self.handle = handle

    def run(self):
        while True:
            # get是从queue中取出一个值；队列空了就在这里等 / get takes a value out; waits here while the queue is empty
            item = self.q.get()
            if item is STOP:
                break
            self.handle(item)
            print(self.name + '消费了 ' + str(item))


def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = queue.Queue(maxsize)
    producers = [Producer(q, range(i, n_items, n_producers)) for i in range(n_producers)]
    consumers = [Consumer(q, handle) for i in range(n_consumers)]
    for t in producers + consumers:
        t.start()
    for t in producers:
        t.join()  # 所有产品都放进去了 / every product is in the queue now
    for _ in consumers:
        q.put(STOP)  # 每个消费者一个哨兵 / one sentinel per consumer
    for t in consumers:
        t.join()

# %% [explain] produce_and_consume
# 消费者在 `get()` 里等：队列空的时候线程睡着，有产品时马上醒来，不用轮询，也不浪费 CPU。
# 它怎么知道该停了？只有放产品的一方知道“不会再有了”：等所有生产者都 `join()` 之后，产品已经全部
# 在队列里，再放进哨兵，排在所有产品后面。每个消费者取到一个哨兵就结束，所以要放 `n_consumers` 个
# （只放一个的话，一个消费者停了，其余的永远等在 `get()` 里）。`empty()`/`qsize()` 为 0、
# `get(timeout=...)` 超时，都只说明“此刻没有产品”，生产者可能只是慢；在生产者结束之前就放哨兵，
# 消费者会在产品之前取到它。最后 join 消费者，函数返回时每个产品都已经处理完，没有线程还在运行。
# The consumers wait in `get()`: while the queue is empty the thread sleeps and wakes as soon as a
# product arrives, with no polling and no wasted CPU. How does it know when to stop? Only the side
# that puts products knows that no more are coming: once every producer has been joined, every product
# is in the queue, and the sentinels go in behind them. A consumer ends on the first sentinel it takes,
# so `n_consumers` of them are needed (with only one, one consumer stops and the others wait in `get()`
# for ever). An `empty()`/`qsize()` of 0 or a `get(timeout=...)` that runs out only says "no product
# right now": the producers may just be slow; sentinels put before the producers have finished reach
# the consumers before the products. Joining the consumers last means that when the function returns,
# every product is handled and no thread is left running.

# %% [test] produce_and_consume points=2
# 生产者故意慢一点（每次 put 之前等 20 毫秒），就像评分时那样 / The producers are made slow (20 ms before
# each put), as when grading.
handled = []
handled_lock = threading.Lock()


def handle(item):
    with handled_lock:
        handled.append(item)


hang_why = ("：消费者会停下来吗？每个消费者都收到哨兵了吗？", ": do your consumers ever stop? Does every consumer get a sentinel?")
for n_items, n_producers, n_consumers, maxsize in ((20, 2, 3, 0), (10, 1, 2, 2)):
    handled.clear()
    before = set(threading.enumerate())
    with slow_producers():
        run_with_limit(produce_and_consume, n_items, n_producers, n_consumers, handle, maxsize, why=hang_why)
    wait_until(lambda: len(handled) >= n_items, 1.0)
    with handled_lock:
        got = list(handled)
    assert set(range(n_items)) <= set(got), (
        f"produce_and_consume({n_items}, {n_producers}, {n_consumers}, handle, {maxsize}) 漏掉了产品：消费者在生产者"
        "做完之前就停了吗？（队列空、get 超时都不说明做完了；哨兵要在所有生产者 join 之后再放）/ "
        f"produce_and_consume({n_items}, {n_producers}, {n_consumers}, handle, {maxsize}) lost products: did the "
        "consumers stop before the producers were done? (An empty queue or a get timeout does not mean done; put "
        "the sentinels after joining every producer)")
    assert len(got) == n_items, (
        "有的产品处理了不止一次，或者 handle 收到了哨兵 / some products were handled more than once, or handle "
        "got a sentinel")
    assert wait_until(lambda: not new_threads_alive(before), 2.0), (
        "返回之后还有线程在运行（每个消费者都收到哨兵了吗？都 join 了吗？）/ threads are still running after the "
        "call returned (does every consumer get a sentinel? are they all joined?)")
print("✓ produce_and_consume（注意：评分时生产者更慢，线程切换由评分程序安排 / "
      "when graded the producers are slower and the grader schedules the threads）")

# %% [hint] produce_and_consume
# zh: 消费者：while True: item = q.get(); 取到哨兵就 break，否则 handle(item)。主线程：先 join 所有生产者，再 for _ in consumers: q.put(None)，最后 join 所有消费者。
# en: Consumer: while True: item = q.get(); break on the sentinel, else handle(item). Caller: join every producer first, then for _ in consumers: q.put(None), and join every consumer last.

# %% [markdown]
# ## 练习 2：`task_done` 和 `join` / Exercise 2: `task_done` and `join`
#
# 另一种常见的写法：工作线程是**守护线程**（daemon），永远在 `get()` 里等活儿干；主线程把所有的
# item 放进队列，然后 `q.join()`，等它们都做完。`q.join()` 怎么知道做完了？队列记着“未完成的任务数”：
# 每 `put()` 一个加一，每调用一次 `q.task_done()` 减一，减到 0 时 `join()` 返回。
#
# Another common pattern: the worker threads are **daemon** threads that wait in `get()` for work for
# ever; the caller puts every item into the queue and then calls `q.join()` to wait until they are all
# done. How does `q.join()` know? The queue counts "unfinished tasks": every `put()` adds one, every
# call of `q.task_done()` takes one away, and `join()` returns when the count is back to 0.
#
# 写 `process_all(items, n_workers, handle)`：`n_workers` 个守护工作线程对每个 item 调用一次
# `handle(item)`，每个 item 都处理完了才返回。`handle` 可能抛出异常：那个 item 也算做完了，队列不能
# 因此卡住。函数返回之后工作线程可以留在 `get()` 里（它们是守护线程，程序退出时不会等它们），但是
# 不能留下非守护线程。下面的代码是最经典的错误：忘了 `task_done()`，`q.join()` 永远等下去。
#
# Write `process_all(items, n_workers, handle)`: `n_workers` daemon worker threads call `handle(item)`
# once for every item, and the function returns once every item has been handled. `handle` may raise:
# that item counts as done too, and the queue must not get stuck because of it. After the call returns
# the workers may stay in `get()` (they are daemons, the program does not wait for them when it exits),
# but no non-daemon thread may be left behind. The code below holds the classic mistake: no
# `task_done()`, so `q.join()` waits for ever.

# %% [skeleton] process_all
def process_all(items, n_workers, handle):
    q = queue.Queue()

    def worker():
        while True:
            item = q.get()
            handle(item)

    for _ in range(n_workers):
        t = threading.Thread(target=worker)
        t.daemon = True
        t.start()
    for item in items:
        q.put(item)
    q.join()  # 等所有 item 做完 / wait until every item is done

# %% [solution] process_all
def process_all(items, n_workers, handle):
    q = queue.Queue()

    def worker():
        while True:
            item = q.get()
            try:
                handle(item)
            except Exception as exc:  # 一个 item 出错，不影响别的 / one failing item does not stop the others
                print("处理失败 / failed:", item, repr(exc))
            finally:
                q.task_done()  # 出错也要调用，而且只调用一次 / also on an error, and exactly once

    for _ in range(n_workers):
        t = threading.Thread(target=worker)
        t.daemon = True  # 留在 get() 里也不会让程序停不下来 / left waiting in get(), it keeps nothing alive
        t.start()
    for item in items:
        q.put(item)
    q.join()  # 等到每个 item 都 task_done 了 / wait until every item is task_done

# %% [explain] process_all
# `q.join()` 等的是“未完成的任务数”回到 0：`put()` 加一，`task_done()` 减一。忘了 `task_done()`，
# 计数永远不会回到 0，`join()` 就永远等下去；`handle` 抛出异常时跳过了 `task_done()`，也一样。
# 放进 `finally` 里，不管 `handle` 成功还是出错都恰好调用一次。调用两次会让计数提前归零：
# `join()` 在 item 还没做完时就返回了（再多调用还会抛出 ValueError）。工作线程是守护线程，
# 它们留在 `get()` 里等下一件活儿也没关系：程序结束时不会等守护线程。
# `q.join()` waits for the count of unfinished tasks to be back at 0: `put()` adds one, `task_done()`
# takes one away. Without `task_done()` the count never gets back to 0 and `join()` waits for ever;
# skipping `task_done()` when `handle` raises does the same. In a `finally` block it runs exactly once,
# whether `handle` succeeds or fails. Calling it twice brings the count to 0 too early: `join()` returns
# while items are still being handled (and calling it once too often raises ValueError). The workers are
# daemon threads, so it does no harm that they stay in `get()` waiting for more: a program does not wait
# for daemon threads when it ends.

# %% [test] process_all points=2
items = ["初始产品" + str(i) for i in range(8)]
started = []
started_lock = threading.Lock()


def handle(item):
    with started_lock:
        started.append(item)
    time.sleep(0.005)
    if item == "初始产品3":
        raise ItemFailed("测试故意让这个 item 出错 / this item fails on purpose")


before = set(threading.enumerate())
with quiet_thread_errors():
    run_with_limit(process_all, items, 3, handle, seconds=3.0,
                   why=("：每个 item 都调用 task_done() 了吗（handle 出错的那个也要）？",
                        ": was task_done() called for every item (also the one whose handle raised)?"))
    with started_lock:
        at_return = sorted(started)
assert at_return == sorted(items), (
    "process_all() 在每个 item 都处理完之前就返回了（task_done() 调用了不止一次？）/ process_all() returned before "
    "every item was handled once (task_done() called more than once per item?)")
assert not new_threads_alive(before, daemon=False), (
    "process_all() 返回后留下了非守护线程：工作线程要设成 daemon=True / process_all() left non-daemon threads "
    "running: make the workers daemon threads (daemon=True)")
print("✓ process_all")

# %% [hint] process_all
# zh: 在 worker 里：item = q.get()，然后 try: handle(item) except Exception: ...，finally: q.task_done()。线程用 daemon=True。
# en: In the worker: item = q.get(), then try: handle(item) except Exception: ..., finally: q.task_done(). Start the threads with daemon=True.

# %% [demo]
# 演示：运行这个单元格，看看改正之后的生产者和消费者（最多等 10 秒）
# Demo: run this cell to watch the fixed producers and consumers (it waits 10 s at most)
if __name__ == "__main__":
    def show(item):
        time.sleep(0.05)

    demo = threading.Thread(target=produce_and_consume, args=(20, 2, 5, show, 10), daemon=True)
    demo.start()
    demo.join(10)
    if demo.is_alive():
        print("10 秒后还没有结束：消费者会停下来吗？/ still running after 10 s: do the consumers ever stop?")
    else:
        print("全部产品都处理完了 / every product was handled")

    demo = threading.Thread(target=process_all, args=(["初始产品" + str(i) for i in range(10)], 3, print),
                            daemon=True)
    demo.start()
    demo.join(10)
    print("process_all 还在等 / is still waiting" if demo.is_alive() else "process_all 完成 / done")
