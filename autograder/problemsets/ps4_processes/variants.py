# Example mistakes (one per mistake listed for ps4 in COURSE.md, and a few more) and alternative correct
# solutions. Each cell replaces one exercise's solution; the example class and the tests are built from them.

# %% [mistake] map_in_processes map_threads
# zh: 用线程代替进程：结果对了，但 f 在调用者的进程里运行（线程和调用者共用一个进程）。
# en: Threads instead of processes: the results are right, but f runs in the caller's process (threads share it).
def compute_one(f, index, item, results):
    results.put((index, f(item)))


def map_in_processes(f, items):
    results = queue.Queue()
    workers = [threading.Thread(target=compute_one, args=(f, index, item, results))
               for index, item in enumerate(items)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    by_index = dict(results.get() for _ in workers)
    return [by_index[index] for index in range(len(items))]

# %% [mistake] map_in_processes map_printed
# zh: 教程的写法：子进程打印结果而不是送回来，父进程什么也拿不到。
# en: The tutorial's way: the children print the results instead of sending them back, so the parent gets nothing.
def compute_and_print(f, item):
    print(f(item))  # 打印，没有送回来 / printed, never sent back


def map_in_processes(f, items):
    workers = [Process(target=compute_and_print, args=[f, item]) for item in items]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    return []

# %% [mistake] map_in_processes map_join_first
# zh: 先 join 再读队列：结果小的时候没问题，1 MB 的结果塞不进管道，父进程和子进程互相等待（死锁）。
# en: Joins before reading the queue: fine with small results, but a 1 MB result does not fit in the pipe, and parent and child wait for each other (a deadlock).
def compute_one(f, index, item, results):
    results.put((index, f(item)))


def map_in_processes(f, items):
    results = multiprocessing.Queue()
    workers = [Process(target=compute_one, args=(f, index, item, results)) for index, item in enumerate(items)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()  # 先 join…… / joins first...
    by_index = dict(results.get() for _ in workers)  # ……再读 / ...reads afterwards
    return [by_index[index] for index in range(len(items))]

# %% [mistake] map_in_processes map_completion_order
# zh: 结果按完成的顺序返回，不是按 item 的顺序。
# en: Returns the results in completion order, not in the order of the items.
def compute_one(f, item, results):
    results.put(f(item))


def map_in_processes(f, items):
    results = multiprocessing.Queue()
    workers = [Process(target=compute_one, args=(f, item, results)) for item in items]
    for p in workers:
        p.start()
    got = [results.get() for _ in workers]
    for p in workers:
        p.join()
    return got

# %% [mistake] map_in_processes map_unguarded breaks=SquareProcess,consume_all
# zh: 函数是对的，但试一试的代码写在模块顶层，没有放进 if __name__ == "__main__":，spawn 下每个子进程启动时都会再执行它。
# en: The function is right, but the try-it code sits at the module's top level, not under if __name__ == "__main__":, so under spawn every child runs it again while it starts.
def compute_one(f, index, item, results):
    results.put((index, f(item)))


def map_in_processes(f, items):
    results = multiprocessing.Queue()
    workers = [Process(target=compute_one, args=(f, index, item, results)) for index, item in enumerate(items)]
    for p in workers:
        p.start()
    by_index = dict(results.get() for _ in workers)
    for p in workers:
        p.join()
    return [by_index[index] for index in range(len(items))]


# 试一试 / try it out
print("试一试 / try it:", map_in_processes(abs, [-1, -2, 3]))

# %% [mistake] map_in_processes map_not_joined
# zh: 读完了结果，却从不 join：结束的子进程没人回收，成了僵尸进程。
# en: Reads every result but never joins: nobody reaps the children that ended, and they stay zombies.
def compute_one(f, index, item, results):
    results.put((index, f(item)))


def map_in_processes(f, items):
    results = multiprocessing.Queue()
    for index, item in enumerate(items):
        Process(target=compute_one, args=(f, index, item, results)).start()
    by_index = dict(results.get() for _ in items)
    return [by_index[index] for index in range(len(items))]

# %% [alternative] map_in_processes map_pipes
# zh: 每个进程一个 Pipe，按 item 的顺序逐个 recv()，顺序天然就对；先 recv 再 join。
# en: One Pipe per process, recv() in the order of the items, so the order comes for free; recv before join.
def send_one(f, item, conn):
    conn.send(f(item))
    conn.close()


def map_in_processes(f, items):
    pipes = [Pipe(duplex=False) for _ in items]
    workers = [Process(target=send_one, args=(f, item, sender)) for item, (_, sender) in zip(items, pipes)]
    for p in workers:
        p.start()
    for _, sender in pipes:
        sender.close()  # 父进程不写 / the parent does not write
    results = [receiver.recv() for receiver, _ in pipes]
    for p in workers:
        p.join()
    return results

# %% [alternative] map_in_processes map_sorted_queue
# zh: 用 get_context() 取当前的启动方式，结果带下标放进队列，读完后按下标排序。
# en: Uses get_context() for the current start method; results go on the queue with their index and are sorted by it.
def put_result(f, index, item, results):
    results.put((index, f(item)))


def map_in_processes(f, items):
    context = multiprocessing.get_context()
    results = context.Queue()
    workers = [context.Process(target=put_result, args=(f, index, item, results), name=f"item-{index}")
               for index, item in enumerate(items)]
    for p in workers:
        p.start()
    got = sorted((results.get() for _ in workers), key=lambda pair: pair[0])
    for p in workers:
        p.join()
    return [value for _, value in got]

# %% [mistake] SquareProcess square_run_not_start
# zh: 直接调用 run() 而不是 start()：run() 只是普通的方法调用，在当前进程里执行，没有新进程。
# en: Calls run() instead of start(): run() is a plain method call in the current process; no process is started.
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
        p.run()
    square_of = {}
    for _ in workers:
        n, square, pid, ppid = results.get()
        square_of[n] = square
    return [square_of[n] for n in numbers]

# %% [mistake] SquareProcess square_no_super_init
# zh: __init__ 里忘了 super().__init__()：Process 没有初始化，start() 报 AttributeError。
# en: Forgets super().__init__() in __init__: the Process is never set up, and start() raises AttributeError.
class SquareProcess(Process):
    def __init__(self, n, results):
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

# %% [alternative] SquareProcess square_explicit_init
# zh: 显式调用 Process.__init__(self, name=...)，结果用 SimpleQueue 送回来。
# en: Calls Process.__init__(self, name=...) explicitly and sends the results back through a SimpleQueue.
class SquareProcess(multiprocessing.Process):
    def __init__(self, n, results):
        Process.__init__(self, name=f"square-{n}")
        self.n = n
        self.results = results

    def run(self):
        self.results.put((self.n, self.n * self.n, os.getpid(), os.getppid()))


def squares_in_processes(numbers):
    results = multiprocessing.SimpleQueue()
    workers = [SquareProcess(n, results) for n in numbers]
    for p in workers:
        p.start()
    received = [results.get() for _ in workers]
    for p in workers:
        p.join()
    square_of = {n: square for n, square, _, _ in received}
    return [square_of[n] for n in numbers]

# %% [alternative] SquareProcess square_daemon_sorted
# zh: 子进程设为 daemon；收到的结果按每个数在输入里的位置排序。
# en: Daemon children; the received results are sorted by each number's position in the input.
class SquareProcess(Process):
    def __init__(self, n, results):
        super().__init__(daemon=True)
        self.n = n
        self.results = results

    def run(self):
        self.results.put((self.n, self.n * self.n, os.getpid(), os.getppid()))


def squares_in_processes(numbers):
    results = Queue()
    workers = [SquareProcess(n, results) for n in numbers]
    for p in workers:
        p.start()
    position = {n: i for i, n in enumerate(numbers)}
    received = sorted((results.get() for _ in workers), key=lambda r: position[r[0]])
    for p in workers:
        p.join()
    return [square for _, square, _, _ in received]

# %% [mistake] consume_all consume_one_sentinel
# zh: 案例 23 的写法：只放一个哨兵，却有好几个消费者；其他消费者在 get() 里一直等，join 永远等不到它们。
# en: Case 23 as it is: one sentinel for several consumers; the others wait in get() forever, and joining them never returns.
def consumer(tasks, results, f):
    while True:
        item = tasks.get()
        try:
            if item is None:
                break
            index, value = item
            results.put((index, f(value)))
        finally:
            tasks.task_done()


def consume_all(items, n_consumers, f):
    tasks = multiprocessing.JoinableQueue()
    results = multiprocessing.Queue()
    consumers = [Process(target=consumer, args=(tasks, results, f)) for _ in range(n_consumers)]
    for p in consumers:
        p.start()
    for index, item in enumerate(items):
        tasks.put((index, item))
    tasks.put(None)  # 只有一个哨兵 / a single sentinel
    got = dict(results.get() for _ in items)
    tasks.join()
    for p in consumers:
        p.join()
    return [got[index] for index in range(len(items))]

# %% [mistake] consume_all consume_no_task_done
# zh: 消费者从不调用 task_done()：tasks.join() 永远等下去。
# en: The consumers never call task_done(): tasks.join() waits forever.
def consumer(tasks, results, f):
    while True:
        item = tasks.get()
        if item is None:
            break
        index, value = item
        results.put((index, f(value)))


def consume_all(items, n_consumers, f):
    tasks = multiprocessing.JoinableQueue()
    results = multiprocessing.Queue()
    consumers = [Process(target=consumer, args=(tasks, results, f)) for _ in range(n_consumers)]
    for p in consumers:
        p.start()
    for index, item in enumerate(items):
        tasks.put((index, item))
    for _ in consumers:
        tasks.put(None)
    got = dict(results.get() for _ in items)
    tasks.join()
    for p in consumers:
        p.join()
    return [got[index] for index in range(len(items))]

# %% [mistake] consume_all consume_no_task_done_sentinel
# zh: 取到哨兵就 break，没有为哨兵调用 task_done()；父进程在放哨兵之前 join 队列，所以没卡住，但队列里留下了没完成的任务。
# en: Breaks on the sentinel without its task_done(); the parent joins the queue before sending the sentinels, so nothing hangs, but the queue is left with unfinished tasks.
def consumer(tasks, results, f):
    while True:
        item = tasks.get()
        if item is None:
            break  # 哨兵没有 task_done() / no task_done() for the sentinel
        index, value = item
        results.put((index, f(value)))
        tasks.task_done()


def consume_all(items, n_consumers, f):
    tasks = multiprocessing.JoinableQueue()
    results = multiprocessing.Queue()
    consumers = [Process(target=consumer, args=(tasks, results, f)) for _ in range(n_consumers)]
    for p in consumers:
        p.start()
    for index, item in enumerate(items):
        tasks.put((index, item))
    got = dict(results.get() for _ in items)
    tasks.join()
    for _ in consumers:
        tasks.put(None)
    for p in consumers:
        p.join()
    return [got[index] for index in range(len(items))]

# %% [mistake] consume_all consume_children_left
# zh: 案例 22 的写法：daemon 消费者，不放哨兵，tasks.join() 之后就返回；消费者还在 get() 里等着，被留在后台。
# en: Case 22 as it is: daemon consumers, no sentinel, returns after tasks.join(); the consumers still wait in get(), left running.
def consumer(tasks, results, f):
    while True:
        index, value = tasks.get()
        results.put((index, f(value)))
        tasks.task_done()


def consume_all(items, n_consumers, f):
    tasks = multiprocessing.JoinableQueue()
    results = multiprocessing.Queue()
    for _ in range(n_consumers):
        p = Process(target=consumer, args=(tasks, results, f))
        p.daemon = True
        p.start()
    for index, item in enumerate(items):
        tasks.put((index, item))
    tasks.join()
    got = dict(results.get() for _ in items)
    return [got[index] for index in range(len(items))]

# %% [mistake] consume_all consume_lost_results
# zh: 消费者把结果存进模块里的列表：进程之间没有共享状态，父进程的列表一直是空的。
# en: The consumers store the results in a module-level list: processes share no state, so the parent's list stays empty.
collected = []


def consumer(tasks, f):
    while True:
        item = tasks.get()
        try:
            if item is None:
                break
            index, value = item
            collected.append((index, f(value)))  # 只改了消费者自己的列表 / changes the consumer's own list only
        finally:
            tasks.task_done()


def consume_all(items, n_consumers, f):
    collected.clear()
    tasks = multiprocessing.JoinableQueue()
    consumers = [Process(target=consumer, args=(tasks, f)) for _ in range(n_consumers)]
    for p in consumers:
        p.start()
    for index, item in enumerate(items):
        tasks.put((index, item))
    for _ in consumers:
        tasks.put(None)
    tasks.join()
    for p in consumers:
        p.join()
    return [value for _, value in sorted(collected, key=lambda pair: pair[0])]

# %% [alternative] consume_all consume_sentinel_class
# zh: 用一个哨兵类（isinstance 判断，pickle 之后也成立），结果读完后按下标排序。
# en: A sentinel class (an isinstance test still holds after pickling), results sorted by index once all are read.
class Stop:
    """哨兵 / the sentinel"""


def consume_worker(tasks, results, f):
    while True:
        item = tasks.get()
        if isinstance(item, Stop):
            tasks.task_done()
            return
        index, value = item
        try:
            results.put((index, f(value)))
        finally:
            tasks.task_done()


def consume_all(items, n_consumers, f):
    tasks = JoinableQueue()
    results = Queue()
    consumers = [Process(target=consume_worker, args=(tasks, results, f)) for _ in range(n_consumers)]
    for p in consumers:
        p.start()
    for index, item in enumerate(items):
        tasks.put((index, item))
    for _ in consumers:
        tasks.put(Stop())
    received = [results.get() for _ in items]
    tasks.join()
    for p in consumers:
        p.join()
    return [value for _, value in sorted(received, key=lambda pair: pair[0])]

# %% [alternative] consume_all consume_daemon_join_first
# zh: 案例 22 加上改进的哨兵：daemon 消费者；先 tasks.join() 等所有 item 处理完，再给每个消费者一个哨兵，再 join 一次，最后 join 进程。
# en: Case 22 plus the improved sentinel: daemon consumers; tasks.join() waits for every item, then one sentinel per consumer, another tasks.join(), then the processes are joined.
def daemon_consumer(tasks, results, f):
    while True:
        item = tasks.get()
        if item is None:
            tasks.task_done()
            break
        index, value = item
        results.put((index, f(value)))
        tasks.task_done()


def consume_all(items, n_consumers, f):
    tasks = multiprocessing.JoinableQueue()
    results = multiprocessing.Queue()
    consumers = [Process(target=daemon_consumer, args=(tasks, results, f), daemon=True) for _ in range(n_consumers)]
    for p in consumers:
        p.start()
    for index, item in enumerate(items):
        tasks.put((index, item))
    got = {}
    for _ in items:
        index, value = results.get()
        got[index] = value
    tasks.join()  # 每个 item 都处理完了 / every item is done
    for _ in consumers:
        tasks.put(None)
    tasks.join()  # 每个哨兵也都取走了 / every sentinel taken too
    for p in consumers:
        p.join()
    return [got[index] for index in range(len(items))]
