# Example mistakes (one per mistake listed for ps1 in COURSE.md) and alternative correct solutions.
# Each cell replaces one exercise's solution; the example class and the tests are built from them.

# %% [mistake] run_low_level lowlevel_forever
# zh: 教程的写法：启动之后 while True: sleep，永远不返回。
# en: The tutorial's way: after starting the jobs, while True: sleep, never returning.
def run_low_level(jobs):
    for func, args in jobs:
        thread.start_new_thread(func, args)
    while True:
        time.sleep(1)

# %% [mistake] run_low_level lowlevel_early
# zh: 启动任务后立刻返回，不等它们结束。
# en: Returns right after starting the jobs, without waiting for them.
def run_low_level(jobs):
    for func, args in jobs:
        thread.start_new_thread(func, args)

# %% [mistake] run_low_level lowlevel_fixed_sleep
# zh: 用固定的 sleep 猜任务要多久。
# en: Guesses how long the jobs take with a fixed sleep.
def run_low_level(jobs):
    for func, args in jobs:
        thread.start_new_thread(func, args)
    time.sleep(0.5)

# %% [mistake] run_low_level lowlevel_no_finally
# zh: 任务结束后才释放锁，但任务抛出异常时锁永远不会释放，主线程一直等。
# en: Releases the lock after the job, but never when the job raises: the wait hangs.
def run_low_level(jobs):
    locks = []
    for func, args in jobs:
        done = thread.allocate_lock()
        done.acquire()

        def job(func=func, args=args, done=done):
            func(*args)
            done.release()

        thread.start_new_thread(job, ())
        locks.append(done)
    for done in locks:
        done.acquire()

# %% [mistake] run_low_level lowlevel_args_not_tuple
# zh: 把一对 (func, args) 当作参数传给包装函数时忘了逗号：(job) 不是元组。
# en: Passes the (func, args) pair to a wrapper without the comma: (job) is not a one-element tuple.
def run_low_level(jobs):
    locks = []

    def worker(job, done):
        func, args = job
        try:
            func(*args)
        finally:
            done.release()

    for job in jobs:
        done = thread.allocate_lock()
        done.acquire()
        thread.start_new_thread(worker, (job) + (done,))
        locks.append(done)
    for done in locks:
        done.acquire()

# %% [mistake] run_low_level lowlevel_busy_wait
# zh: 用计数器和空转的 while 循环等待，白白占满 CPU。
# en: Waits with a counter and a spinning while loop, burning the CPU.
def run_low_level(jobs):
    finished = [0]
    count_lock = thread.allocate_lock()

    def job(func, args):
        try:
            func(*args)
        finally:
            with count_lock:
                finished[0] += 1

    for func, args in jobs:
        thread.start_new_thread(job, (func, args))
    while finished[0] < len(jobs):
        pass

# %% [alternative] run_low_level lowlevel_semaphore
# zh: 每个任务结束时 release 一个信号量，主线程 acquire 同样多次。
# en: Each job releases a semaphore when it ends; the main thread acquires it as many times.
def run_low_level(jobs):
    finished = threading.Semaphore(0)

    def job(func, args):
        try:
            func(*args)
        finally:
            finished.release()

    for func, args in jobs:
        thread.start_new_thread(job, (func, args))
    for _ in jobs:
        finished.acquire()

# %% [alternative] run_low_level lowlevel_condition
# zh: 用 Condition 和计数器，wait_for 直到全部结束。
# en: A Condition and a counter; wait_for until all have ended.
def run_low_level(jobs):
    state = {"left": len(jobs)}
    changed = threading.Condition()

    def job(func, args):
        try:
            func(*args)
        finally:
            with changed:
                state["left"] -= 1
                changed.notify_all()

    for func, args in jobs:
        thread.start_new_thread(job, (func, args))
    with changed:
        changed.wait_for(lambda: state["left"] == 0)

# %% [mistake] greet_all greet_args_not_tuple
# zh: 教程提醒过的错误：args=(name) 不是元组，名字被拆成一个个字。
# en: The mistake the tutorial warns about: args=(name) is not a tuple, so the name is split into characters.
def greet_all(names, greet):
    threads = [threading.Thread(target=greet, args=(name)) for name in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

# %% [mistake] greet_all greet_main_thread
# zh: target=greet(name) 在主线程里就调用了 greet。
# en: target=greet(name) calls greet in the main thread.
def greet_all(names, greet):
    threads = [threading.Thread(target=greet(name)) for name in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

# %% [mistake] greet_all greet_not_joined
# zh: 启动了线程却没有 join。
# en: Starts the threads but never joins them.
def greet_all(names, greet):
    for name in names:
        threading.Thread(target=greet, args=(name,)).start()

# %% [mistake] greet_all greet_sequential
# zh: 在同一个循环里 start() 又马上 join()，线程一个接一个运行。
# en: start() and join() in the same loop: the threads run one after another.
def greet_all(names, greet):
    for name in names:
        t = threading.Thread(target=greet, args=(name,))
        t.start()
        t.join()

# %% [alternative] greet_all greet_list_args
# zh: args 用列表也可以，只要是一个序列。
# en: A list works for args too, as long as it is a sequence of the arguments.
def greet_all(names, greet):
    threads = [threading.Thread(target=greet, args=[name], name=f"greet-{i}") for i, name in enumerate(names)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

# %% [alternative] greet_all greet_lambda
# zh: 用默认参数固定 name 的 lambda 作为 target。
# en: A lambda with a default argument freezing name, as the target.
def greet_all(names, greet):
    threads = []
    for name in names:
        threads.append(threading.Thread(target=lambda n=name: greet(n)))
        threads[-1].start()
    while threads:
        threads.pop().join()

# %% [mistake] run_loops loops_called_in_main
# zh: 教程注释掉的“常见错误写法”：target=loop(name, seconds)。
# en: The tutorial's commented-out "common mistake": target=loop(name, seconds).
def run_loops(delays, loop):
    threads = [threading.Thread(target=loop(name, seconds)) for name, seconds in delays.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

# %% [mistake] run_loops loops_sequential
# zh: start(); join() 写在同一个循环里，loop 一个接一个地运行。
# en: start(); join() in the same loop: the loops run one after another.
def run_loops(delays, loop):
    for name, seconds in delays.items():
        t = threading.Thread(target=loop, args=(name, seconds))
        t.start()
        t.join()

# %% [mistake] run_loops loops_not_joined
# zh: 启动之后就返回，不等 loop 结束。
# en: Returns after starting the loops, without waiting for them.
def run_loops(delays, loop):
    for name, seconds in delays.items():
        threading.Thread(target=loop, args=(name, seconds)).start()

# %% [alternative] run_loops loops_threadfunc
# zh: 教程里的 ThreadFunc 写法：target 是一个绑定方法。
# en: The tutorial's ThreadFunc style: the target is a bound method.
class ThreadFunc:
    def __init__(self, func):
        self.func = func

    def loop(self, nloop, nsec):
        self.func(nloop, nsec)


def run_loops(delays, loop):
    t = ThreadFunc(loop)
    threads = []
    for name, seconds in delays.items():
        threads.append(threading.Thread(target=t.loop, args=(name, seconds)))
    for th in threads:
        th.start()
    for th in threads:
        th.join()

# %% [alternative] run_loops loops_partial
# zh: 用 functools.partial 把参数绑定到函数上。
# en: functools.partial binds the arguments to the function.
import functools


def run_loops(delays, loop):
    threads = [threading.Thread(target=functools.partial(loop, name, seconds)) for name, seconds in delays.items()]
    [t.start() for t in threads]
    [t.join() for t in threads]

# %% [mistake] SquareThread square_run_not_start
# zh: 调用 run() 而不是 start()：run() 只是普通的函数调用。
# en: Calls run() instead of start(): run() is a plain call in the current thread.
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
        t.run()
    return [t.result for t in threads]

# %% [mistake] SquareThread square_missing_super
# zh: __init__ 里没有调用 super().__init__()，start() 会报错。
# en: __init__ never calls super().__init__(), so start() raises.
class SquareThread(threading.Thread):
    def __init__(self, n, square=default_square):
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

# %% [mistake] SquareThread square_sequential
# zh: 每个线程 start() 之后马上 join()，一次只运行一个。
# en: join() right after each start(): one thread at a time.
class SquareThread(threading.Thread):
    def __init__(self, n, square=default_square):
        super().__init__()
        self.n = n
        self.square = square
        self.result = None

    def run(self):
        self.result = self.square(self.n)


def squares_in_threads(numbers, square=default_square):
    results = []
    for n in numbers:
        t = SquareThread(n, square)
        t.start()
        t.join()
        results.append(t.result)
    return results

# %% [mistake] SquareThread square_wrong_order
# zh: 线程结束时把结果追加到共享列表里：顺序变成了结束的顺序。
# en: Each thread appends its result to a shared list when it ends: the order becomes completion order.
results_in_finish_order = []


class SquareThread(threading.Thread):
    def __init__(self, n, square=default_square):
        super().__init__()
        self.n = n
        self.square = square
        self.result = None

    def run(self):
        self.result = self.square(self.n)
        results_in_finish_order.append(self.result)


def squares_in_threads(numbers, square=default_square):
    results_in_finish_order.clear()
    threads = [SquareThread(n, square) for n in numbers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return list(results_in_finish_order)

# %% [alternative] SquareThread square_named
# zh: 用 threading.Thread.__init__(self, name=...) 初始化，并给线程起名字。
# en: Initialises with threading.Thread.__init__(self, name=...) and names the threads.
class SquareThread(threading.Thread):
    def __init__(self, n, square=default_square):
        threading.Thread.__init__(self, name=f"square-{n}")
        self.n, self.square, self.result = n, square, None

    def run(self):
        self.result = self.square(self.n)


def squares_in_threads(numbers, square=default_square):
    threads = list(map(lambda n: SquareThread(n, square), numbers))
    for t in threads:
        t.start()
    results = []
    for t in threads:
        t.join()
        results.append(t.result)
    return results

# %% [alternative] SquareThread square_daemon_dict
# zh: 线程设为 daemon，结果按下标放进字典再排好。
# en: Daemon threads; results collected by index in a dict, then ordered.
class SquareThread(threading.Thread):
    def __init__(self, n, square=default_square):
        super().__init__(daemon=True)
        self.n = n
        self.square = square
        self.result = None

    def run(self):
        self.result = self.square(self.n)


def squares_in_threads(numbers, square=default_square):
    threads = {i: SquareThread(n, square) for i, n in enumerate(numbers)}
    for t in threads.values():
        t.start()
    for t in threads.values():
        t.join()
    return [threads[i].result for i in sorted(threads)]

# %% [mistake] run_in_order order_sleep
# zh: 教程最后一个例子的写法：用 sleep 假装等待函数一。
# en: The tutorial's last example: a sleep pretends to wait for function one.
def run_in_order(first, second):
    def fun2():
        time.sleep(0.2)
        second()

    t1 = threading.Thread(target=first)
    t2 = threading.Thread(target=fun2)
    t1.start()
    t2.start()
    t1.join()
    t2.join()

# %% [mistake] run_in_order order_one_thread
# zh: 两个调用放在同一个线程里，顺序对了，但不是两个线程。
# en: Both calls in one thread: the order is right, but there are not two threads.
def run_in_order(first, second):
    def both():
        first()
        second()

    t = threading.Thread(target=both)
    t.start()
    t.join()

# %% [mistake] run_in_order order_main_thread
# zh: 直接在主线程里依次调用。
# en: Calls both in the main thread, one after the other.
def run_in_order(first, second):
    first()
    second()

# %% [mistake] run_in_order order_no_join
# zh: 正确地等待了，但没有 join 就返回了。
# en: Waits correctly, but returns without joining.
def run_in_order(first, second):
    first_done = threading.Event()

    def fun1():
        first()
        first_done.set()

    def fun2():
        first_done.wait()
        second()

    threading.Thread(target=fun1).start()
    threading.Thread(target=fun2).start()

# %% [alternative] run_in_order order_condition
# zh: 用 Condition 和一个标志位。
# en: A Condition and a flag.
def run_in_order(first, second):
    cond = threading.Condition()
    state = {"first_done": False}

    def fun1():
        first()
        with cond:
            state["first_done"] = True
            cond.notify()

    def fun2():
        with cond:
            while not state["first_done"]:
                cond.wait()
        second()

    threads = [threading.Thread(target=fun1), threading.Thread(target=fun2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

# %% [alternative] run_in_order order_join_first
# zh: 第二个线程先 join 第一个线程，再调用 second()。
# en: The second thread joins the first one, then calls second().
def run_in_order(first, second):
    t1 = threading.Thread(target=first)

    def fun2():
        t1.join()
        second()

    t2 = threading.Thread(target=fun2)
    t1.start()
    t2.start()
    t2.join()
    t1.join()
