"""# 多线程 VS 多进程 · 第 3 课：生产者和消费者：`queue.Queue`
# Threads vs processes · Part 3: producers and consumers with `queue.Queue`

* `queue.Queue` 是线程安全的队列：`put()` 放进一个值，`get()` 取出一个值，多个线程同时用也不会出错，
  不用自己加锁。
  `queue.Queue` is a thread-safe queue: `put()` puts a value in, `get()` takes one out, and many
  threads may use it at once without a lock of your own.
* 队列空的时候，`get()` 会**等待**，直到有值可取；`Queue(maxsize)` 满了的时候，`put()` 会等待，直到有空位。
  等待中的线程不占 CPU。
  When the queue is empty, `get()` **waits** until there is a value; when a `Queue(maxsize)` is
  full, `put()` waits until there is room. A waiting thread uses no CPU.
* **生产者**线程往队列里放产品，**消费者**线程从队列里取出产品来处理。消费者怎么知道活儿干完了？
  生产者都结束之后，往队列里放一个特殊的值——**哨兵**（sentinel）——消费者取到它就停下来。
  **Producer** threads put products into the queue, **consumer** threads take them out and handle
  them. How does a consumer know that the work is over? Once every producer has finished, put a
  special value, a **sentinel**, into the queue: a consumer that takes it stops.
* `task_done()` 和 `join()`：每取出一个值并处理完，调用一次 `q.task_done()`；`q.join()` 一直等到
  放进去的每个值都“做完了”。
  `task_done()` and `join()`: call `q.task_done()` once for every value taken out and handled;
  `q.join()` waits until every value put in is "done".

本课把教程里的 Producer/Consumer 例子变成两个练习。教程的程序**永远不会停**：消费者一直在用
`qsize()` 看队列里有多少东西，然后睡一会儿再看。
This part turns the tutorial's Producer/Consumer example into two exercises. The tutorial's program
**never stops**: the consumers keep looking at `qsize()` to see how much the queue holds, then sleep
and look again.

**注意：评分时生产者会故意很慢。** 评分程序自己安排线程的切换，让每个产品都要“做”一会儿，所以队列
经常是空的：用 `empty()`、`qsize()` 或者 `get(timeout=...)` 来判断“活儿干完了”的消费者，评分时一定会
漏掉产品。只有哨兵能告诉消费者：不会再有产品了。
**Note: when grading, the producers are slow on purpose.** The grader schedules the threads itself
and makes every product take a while to make, so the queue is often empty: a consumer that decides
"the work is over" from `empty()`, `qsize()` or `get(timeout=...)` will miss products when graded.
Only a sentinel tells a consumer that no more products are coming.
"""


import queue
import threading
import time


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


# 提示 / Hint: 消费者：while True: item = q.get(); 取到哨兵就 break，否则 handle(item)。主线程：先 join 所有生产者，再 for _ in consumers: q.put(None)，最后 join 所有消费者。
# Consumer: while True: item = q.get(); break on the sentinel, else handle(item). Caller: join every producer first, then for _ in consumers: q.put(None), and join every consumer last.


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


# 提示 / Hint: 在 worker 里：item = q.get()，然后 try: handle(item) except Exception: ...，finally: q.task_done()。线程用 daemon=True。
# In the worker: item = q.get(), then try: handle(item) except Exception: ..., finally: q.task_done(). Start the threads with daemon=True.


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


# 检查你的答案 / Check your work:
#     python -m autograder check ps3_queues queues.py
