# Example mistakes (one per mistake listed for ps3 in COURSE.md, and a few more) and alternative correct
# solutions. Each cell replaces one exercise's solution; the example class and the tests are built from them.

# %% [mistake] produce_and_consume pc_no_sentinel
# zh: 没有哨兵：生产者做完之后，消费者不知道该停，永远等在 get() 里，join 它们就永远等下去。
# en: No sentinel: once the producers are done the consumers cannot know it and wait in get() for ever, so joining them never returns.
def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = queue.Queue(maxsize)

    def producer(items):
        for item in items:
            q.put(item)

    def consumer():
        while True:
            item = q.get()
            handle(item)

    producers = [threading.Thread(target=producer, args=(range(i, n_items, n_producers),))
                 for i in range(n_producers)]
    consumers = [threading.Thread(target=consumer) for _ in range(n_consumers)]
    for t in producers + consumers:
        t.start()
    for t in producers + consumers:
        t.join()

# %% [mistake] produce_and_consume pc_one_sentinel
# zh: 三个消费者只放一个哨兵：一个消费者停了，其余的永远等在 get() 里。
# en: One sentinel for several consumers: one consumer stops, the others wait in get() for ever.
def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = queue.Queue(maxsize)

    def producer(items):
        for item in items:
            q.put(item)

    def consumer():
        while True:
            item = q.get()
            if item is None:
                break
            handle(item)

    producers = [threading.Thread(target=producer, args=(range(i, n_items, n_producers),))
                 for i in range(n_producers)]
    consumers = [threading.Thread(target=consumer) for _ in range(n_consumers)]
    for t in producers + consumers:
        t.start()
    for t in producers:
        t.join()
    q.put(None)
    for t in consumers:
        t.join()

# %% [mistake] produce_and_consume pc_sentinels_too_early
# zh: 生产者还没做完就放哨兵：哨兵排在产品前面，消费者先取到哨兵就停了，后来的产品没人处理。
# en: The sentinels are put before the producers have finished: they queue up ahead of the products, the consumers stop on them, and later products are never handled.
def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = queue.Queue(maxsize)

    def producer(items):
        for item in items:
            q.put(item)

    def consumer():
        while True:
            item = q.get()
            if item is None:
                break
            handle(item)

    producers = [threading.Thread(target=producer, args=(range(i, n_items, n_producers),))
                 for i in range(n_producers)]
    consumers = [threading.Thread(target=consumer) for _ in range(n_consumers)]
    for t in producers + consumers:
        t.start()
    for _ in consumers:
        q.put(None)
    for t in producers + consumers:
        t.join()

# %% [mistake] produce_and_consume pc_empty_check
# zh: 用 empty() 判断活儿干完了：生产者慢一点，队列就是空的，消费者马上就停了。
# en: empty() decides that the work is over: when the producers are slow the queue is empty and the consumers stop at once.
def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = queue.Queue(maxsize)

    def producer(items):
        for item in items:
            q.put(item)

    def consumer():
        while not q.empty():
            item = q.get()
            handle(item)

    producers = [threading.Thread(target=producer, args=(range(i, n_items, n_producers),))
                 for i in range(n_producers)]
    consumers = [threading.Thread(target=consumer) for _ in range(n_consumers)]
    for t in producers + consumers:
        t.start()
    for t in producers + consumers:
        t.join()

# %% [mistake] produce_and_consume pc_qsize_check
# zh: 教程的 Consumer 用 qsize() 看队列，看到 0 就停：和 empty() 一样，慢的生产者还没做完。
# en: The tutorial's Consumer looks at qsize() and stops at 0: like empty(), the slow producers are not done yet.
class Producer(threading.Thread):
    def __init__(self, q, items):
        super().__init__()
        self.q = q
        self.items = items

    def run(self):
        for item in self.items:
            self.q.put(item)
            print(self.name + ' 生成产品' + str(item))


class Consumer(threading.Thread):
    def __init__(self, q, handle):
        super().__init__()
        self.q = q
        self.handle = handle

    def run(self):
        while self.q.qsize() > 0:
            item = self.q.get()
            self.handle(item)
            print(self.name + '消费了 ' + str(item))


def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = queue.Queue(maxsize)
    producers = [Producer(q, range(i, n_items, n_producers)) for i in range(n_producers)]
    consumers = [Consumer(q, handle) for i in range(n_consumers)]
    for t in producers + consumers:
        t.start()
    for t in producers + consumers:
        t.join()

# %% [mistake] produce_and_consume pc_get_timeout
# zh: get(timeout=1) 超时就认为做完了：生产者慢过这一秒，消费者就停了。
# en: A get(timeout=1) that runs out is taken to mean the work is over: a producer slower than that second makes the consumers stop.
def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = queue.Queue(maxsize)

    def producer(items):
        for item in items:
            q.put(item)

    def consumer():
        while True:
            try:
                item = q.get(timeout=1)
            except queue.Empty:
                break
            handle(item)

    producers = [threading.Thread(target=producer, args=(range(i, n_items, n_producers),))
                 for i in range(n_producers)]
    consumers = [threading.Thread(target=consumer) for _ in range(n_consumers)]
    for t in producers + consumers:
        t.start()
    for t in producers + consumers:
        t.join()

# %% [mistake] produce_and_consume pc_busy_poll
# zh: 忙等：get_nowait() 取不到就马上再试，消费者一直占着 CPU，而不是在 get() 里等。
# en: Busy polling: when get_nowait() finds nothing the consumer tries again at once, keeping a CPU busy instead of waiting in get().
def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = queue.Queue(maxsize)

    def producer(items):
        for item in items:
            q.put(item)

    def consumer():
        while True:
            try:
                item = q.get_nowait()
            except queue.Empty:
                continue
            if item is None:
                break
            handle(item)

    producers = [threading.Thread(target=producer, args=(range(i, n_items, n_producers),))
                 for i in range(n_producers)]
    consumers = [threading.Thread(target=consumer) for _ in range(n_consumers)]
    for t in producers + consumers:
        t.start()
    for t in producers:
        t.join()
    for _ in consumers:
        q.put(None)
    for t in consumers:
        t.join()

# %% [mistake] produce_and_consume pc_poll_with_sleep
# zh: 像教程一样轮询：qsize() 为 0 就睡一会儿再看。最后能停（有哨兵），但一直在问队列，而不是在 get() 里等。
# en: Polling like the tutorial: sleep a while when qsize() is 0, then look again. It does stop (on a sentinel), but it keeps asking the queue instead of waiting in get().
def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = queue.Queue(maxsize)

    def producer(items):
        for item in items:
            q.put(item)

    def consumer():
        while True:
            if q.qsize() == 0:
                time.sleep(0.1)
                continue
            item = q.get()
            if item is None:
                break
            handle(item)

    producers = [threading.Thread(target=producer, args=(range(i, n_items, n_producers),))
                 for i in range(n_producers)]
    consumers = [threading.Thread(target=consumer) for _ in range(n_consumers)]
    for t in producers + consumers:
        t.start()
    for t in producers:
        t.join()
    for _ in consumers:
        q.put(None)
    for t in consumers:
        t.join()

# %% [mistake] produce_and_consume pc_returns_early
# zh: 放完哨兵就返回，没有 join 消费者（它们是守护线程）：返回时最后的产品可能还没处理。
# en: Returns right after putting the sentinels without joining the consumers (daemon threads): the last products may not be handled yet when it returns.
def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = queue.Queue(maxsize)

    def producer(items):
        for item in items:
            q.put(item)

    def consumer():
        while True:
            item = q.get()
            if item is None:
                break
            handle(item)

    producers = [threading.Thread(target=producer, args=(range(i, n_items, n_producers),))
                 for i in range(n_producers)]
    consumers = [threading.Thread(target=consumer, daemon=True) for _ in range(n_consumers)]
    for t in producers + consumers:
        t.start()
    for t in producers:
        t.join()
    for _ in consumers:
        q.put(None)

# %% [alternative] produce_and_consume pc_object_sentinel
# zh: 目标函数代替 Thread 子类，哨兵是一个独一无二的 object()，用 is 比较。
# en: Target functions instead of Thread subclasses; the sentinel is a unique object(), compared with is.
DONE = object()


def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = queue.Queue(maxsize)

    def producer(first):
        for item in range(first, n_items, n_producers):
            q.put(item)

    def consumer():
        while (item := q.get()) is not DONE:
            handle(item)

    producers = [threading.Thread(target=producer, args=(i,)) for i in range(n_producers)]
    consumers = [threading.Thread(target=consumer) for _ in range(n_consumers)]
    for t in consumers + producers:
        t.start()
    for t in producers:
        t.join()
    for _ in range(n_consumers):
        q.put(DONE)
    for t in consumers:
        t.join()

# %% [alternative] produce_and_consume pc_reput_sentinel
# zh: 只放一个哨兵：取到它的消费者先把它放回去，留给下一个消费者，然后再停。
# en: A single sentinel: a consumer that takes it puts it back for the next consumer before it stops.
def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = queue.Queue(maxsize)

    def producer(items):
        for item in items:
            q.put(item)

    def consumer():
        while True:
            item = q.get()
            if item is None:
                q.put(None)  # 留给下一个消费者 / for the next consumer
                return
            handle(item)

    producers = [threading.Thread(target=producer, args=(range(i, n_items, n_producers),))
                 for i in range(n_producers)]
    consumers = [threading.Thread(target=consumer) for _ in range(n_consumers)]
    for t in producers + consumers:
        t.start()
    for t in producers:
        t.join()
    q.put(None)
    for t in consumers:
        t.join()

# %% [alternative] produce_and_consume pc_sentinel_class
# zh: Thread 子类，from queue import Queue；哨兵是一个类，消费者用 isinstance 认出它。
# en: Thread subclasses and from queue import Queue; the sentinel is a class, recognised with isinstance.
from queue import Queue


class Finished:
    """哨兵 / the sentinel"""


class ProductMaker(threading.Thread):
    def __init__(self, q, items):
        super().__init__(name="生产者")
        self.q, self.items = q, items

    def run(self):
        for item in self.items:
            self.q.put(item)


class ProductTaker(threading.Thread):
    def __init__(self, q, handle):
        super().__init__(name="消费者")
        self.q, self.handle = q, handle

    def run(self):
        while not isinstance(item := self.q.get(), Finished):
            self.handle(item)


def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = Queue(maxsize=maxsize)
    makers = [ProductMaker(q, list(range(n_items))[i::n_producers]) for i in range(n_producers)]
    takers = [ProductTaker(q, handle) for _ in range(n_consumers)]
    for t in makers + takers:
        t.start()
    for t in makers:
        t.join()
    for _ in takers:
        q.put(Finished())
    for t in takers:
        t.join()

# %% [alternative] produce_and_consume pc_last_producer_stops
# zh: 最后一个做完的生产者负责放哨兵（用一把锁数还有几个生产者在做），调用者只 join。
# en: The last producer to finish puts the sentinels (a lock guards the count of producers still at work); the caller only joins.
def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = queue.Queue(maxsize)
    state = {"working": n_producers}
    state_lock = threading.Lock()

    def producer(items):
        for item in items:
            q.put(item)
        with state_lock:
            state["working"] -= 1
            last = state["working"] == 0
        if last:
            for _ in range(n_consumers):
                q.put(None)

    def consumer():
        for item in iter(q.get, None):
            handle(item)

    threads = [threading.Thread(target=producer, args=(range(i, n_items, n_producers),))
               for i in range(n_producers)]
    threads += [threading.Thread(target=consumer) for _ in range(n_consumers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

# %% [alternative] produce_and_consume pc_timeout_retry
# zh: get(timeout=0.05) 超时不算做完，只是再等一次；取到哨兵才停。import queue as qmod。
# en: A get(timeout=0.05) that runs out does not mean done, it just waits again; only a sentinel stops it. import queue as qmod.
import queue as qmod


def produce_and_consume(n_items, n_producers, n_consumers, handle, maxsize=0):
    q = qmod.Queue(maxsize)

    def producer(items):
        for item in items:
            q.put(item)

    def consumer():
        while True:
            try:
                item = q.get(timeout=0.05)
            except qmod.Empty:
                continue  # 生产者只是慢，再等 / the producers are just slow: wait again
            if item is None:
                break
            handle(item)

    producers = [threading.Thread(target=producer, args=(range(i, n_items, n_producers),))
                 for i in range(n_producers)]
    consumers = [threading.Thread(target=consumer) for _ in range(n_consumers)]
    for t in producers + consumers:
        t.start()
    for t in producers:
        t.join()
    for _ in consumers:
        q.put(None)
    for t in consumers:
        t.join()

# %% [mistake] process_all all_no_task_done
# zh: 忘了 task_done()：未完成的任务数永远不会回到 0，q.join() 永远等下去。
# en: No task_done(): the count of unfinished tasks never gets back to 0, so q.join() waits for ever.
def process_all(items, n_workers, handle):
    q = queue.Queue()

    def worker():
        while True:
            item = q.get()
            handle(item)

    for _ in range(n_workers):
        threading.Thread(target=worker, daemon=True).start()
    for item in items:
        q.put(item)
    q.join()

# %% [mistake] process_all all_task_done_skipped_on_error
# zh: task_done() 写在 try 里 handle 的后面：handle 抛出异常时就跳过了它，q.join() 永远等下去。
# en: task_done() sits in the try block after handle: when handle raises it is skipped, and q.join() waits for ever.
def process_all(items, n_workers, handle):
    q = queue.Queue()

    def worker():
        while True:
            item = q.get()
            try:
                handle(item)
                q.task_done()
            except Exception as exc:
                print("处理失败 / failed:", item, repr(exc))

    for _ in range(n_workers):
        threading.Thread(target=worker, daemon=True).start()
    for item in items:
        q.put(item)
    q.join()

# %% [mistake] process_all all_task_done_twice
# zh: task_done() 调用了两次（try 里一次，finally 里又一次）：计数提前归零，join() 在 item 做完之前就返回了。
# en: task_done() is called twice (once in the try block, once more in finally): the count reaches 0 early and join() returns before the items are done.
def process_all(items, n_workers, handle):
    q = queue.Queue()

    def worker():
        while True:
            item = q.get()
            try:
                handle(item)
                q.task_done()
            except Exception as exc:
                print("处理失败 / failed:", item, repr(exc))
            finally:
                q.task_done()

    for _ in range(n_workers):
        threading.Thread(target=worker, daemon=True).start()
    for item in items:
        q.put(item)
    q.join()

# %% [mistake] process_all all_not_daemon
# zh: 工作线程不是守护线程：process_all 返回之后它们还等在 get() 里，程序永远退不出。
# en: The workers are not daemon threads: after process_all returns they still wait in get(), and the program can never exit.
def process_all(items, n_workers, handle):
    q = queue.Queue()

    def worker():
        while True:
            item = q.get()
            try:
                handle(item)
            except Exception as exc:
                print("处理失败 / failed:", item, repr(exc))
            finally:
                q.task_done()

    for _ in range(n_workers):
        threading.Thread(target=worker).start()
    for item in items:
        q.put(item)
    q.join()

# %% [alternative] process_all all_try_finally
# zh: 像 JoinableQueue 的例子一样只用 try/finally：handle 出错时异常让这个工作线程结束，但 task_done() 已经调用了，别的工作线程接着干。
# en: try/finally only, like the JoinableQueue examples: when handle raises, the exception ends that worker, but task_done() has been called and the other workers carry on.
def process_all(items, n_workers, handle):
    q = queue.Queue()

    def worker():
        while True:
            item = q.get()
            try:
                handle(item)
            finally:
                q.task_done()

    for _ in range(n_workers):
        threading.Thread(target=worker, daemon=True).start()
    for item in items:
        q.put(item)
    q.join()

# %% [alternative] process_all all_worker_class
# zh: Thread 子类 Worker，在 super().__init__(daemon=True) 里设成守护线程；先放 item 再启动工作线程。
# en: A Thread subclass Worker, made a daemon in super().__init__(daemon=True); the items go in before the workers start.
class Worker(threading.Thread):
    def __init__(self, q, handle):
        super().__init__(daemon=True)
        self.q, self.handle = q, handle

    def run(self):
        while True:
            item = self.q.get()
            try:
                self.handle(item)
            except Exception:
                pass  # 这个 item 也算做完了 / this item counts as done too
            self.q.task_done()


def process_all(items, n_workers, handle):
    q = queue.Queue()
    for item in items:
        q.put(item)
    for _ in range(n_workers):
        Worker(q, handle).start()
    q.join()

# %% [alternative] process_all all_lifo_queue
# zh: 用 LifoQueue（后进先出，也有 task_done/join），工作线程的 daemon 属性在 start 之前设置。
# en: A LifoQueue (last in, first out; it has task_done/join too), the workers' daemon attribute set before start.
def process_all(items, n_workers, handle):
    jobs = queue.LifoQueue()

    def work():
        while True:
            job = jobs.get()
            try:
                handle(job)
            except Exception as exc:
                print(f"{job} 出错了 / failed: {exc!r}")
            finally:
                jobs.task_done()

    workers = [threading.Thread(target=work, name=f"worker-{i}") for i in range(n_workers)]
    for w in workers:
        w.daemon = True
        w.start()
    for item in items:
        jobs.put(item)
    jobs.join()
