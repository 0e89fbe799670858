# Example mistakes (one per mistake listed for ps2 in COURSE.md) and alternative correct solutions.
# Each cell replaces one exercise's solution; the example class and the tests are built from them.

# %% [mistake] add_and_subtract no_lock
# zh: 教程的 myAdd/myMinu 去掉了锁：total += 1 的“读、加、写”会被别的线程打断。
# en: The tutorial's myAdd/myMinu without the lock: the read-add-write of total += 1 can be interrupted.
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

# %% [mistake] add_and_subtract no_lock_plain_assign
# zh: 没有锁，写成 total = total + 1：和 += 一样，读和写之间可能被打断。
# en: No lock, written as total = total + 1: just like +=, the thread can be switched between the read and the write.
def add(n):
    global total
    for _ in range(n):
        total = total + 1


def subtract(n):
    global total
    for _ in range(n):
        total = total - 1


def add_and_subtract(n):
    global total
    total = 0
    threads = [threading.Thread(target=add, args=(n,)), threading.Thread(target=subtract, args=(n,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total

# %% [mistake] add_and_subtract new_lock_per_call
# zh: 每次都新建一把锁：with threading.Lock(): 每个线程拿的都是自己的锁，什么也保护不了。
# en: A new lock every time: with threading.Lock(): every thread takes a lock of its own, which protects nothing.
def add(n):
    global total
    for _ in range(n):
        with threading.Lock():
            total += 1


def subtract(n):
    global total
    for _ in range(n):
        with threading.Lock():
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

# %% [mistake] add_and_subtract one_side_only
# zh: 只有 add 用了锁，subtract 没有：一边上锁挡不住另一边。
# en: Only add takes the lock, subtract does not: locking one side does not stop the other.
def add(n):
    global total
    for _ in range(n):
        with lock:
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

# %% [mistake] add_and_subtract split_critical_section
# zh: 读和写分在两个临界区里：读完放开锁，另一个线程可以在写回之前改掉 total。
# en: The read and the write in two critical sections: after the read the lock is free, and another thread can change total before the write.
def add(n):
    global total
    for _ in range(n):
        with lock:
            current = total
        with lock:
            total = current + 1


def subtract(n):
    global total
    for _ in range(n):
        with lock:
            current = total
        with lock:
            total = current - 1


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

# %% [mistake] add_and_subtract no_release
# zh: 只 acquire 不 release：第二次申请锁就永远等下去。
# en: acquire() without release(): the second request for the lock waits forever.
def add(n):
    global total
    for _ in range(n):
        lock.acquire()
        total += 1


def subtract(n):
    global total
    for _ in range(n):
        lock.acquire()
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

# %% [alternative] add_and_subtract acquire_try_finally
# zh: 教程的 lock.acquire() / lock.release()，用 try/finally 保证一定释放。
# en: The tutorial's lock.acquire() / lock.release(), with try/finally so that the lock is always released.
def add(n):
    global total
    for _ in range(n):
        lock.acquire()
        try:
            total += 1
        finally:
            lock.release()


def subtract(n):
    global total
    for _ in range(n):
        lock.acquire()
        try:
            total -= 1
        finally:
            lock.release()


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

# %% [alternative] add_and_subtract rlock
# zh: 把模块的 lock 换成 threading.RLock()，一个共用的修改函数在锁里读写 total。
# en: The module's lock becomes a threading.RLock(); one shared helper reads and writes total under it.
lock = threading.RLock()


def _change(n, step):
    global total
    for _ in range(n):
        with lock:
            total = total + step


def add(n):
    _change(n, 1)


def subtract(n):
    _change(n, -1)


def add_and_subtract(n):
    global total
    with lock:
        total = 0
    workers = [threading.Thread(target=f, args=(n,), name=f.__name__) for f in (add, subtract)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    with lock:
        return total

# %% [alternative] add_and_subtract whole_loop
# zh: 一把锁包住整个循环：每个线程一口气做完，另一个线程等着。
# en: One lock around the whole loop: each thread does all its work at once while the other waits.
def add(n):
    global total
    with lock:
        for _ in range(n):
            total += 1


def subtract(n):
    global total
    with lock:
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

# %% [mistake] Account check_then_act
# zh: 先检查后执行：检查余额时拿一次锁，扣钱时再拿一次，两次之间另一个线程可能已经把钱取走了。
# en: Check-then-act: the lock is taken once for the check and again for the subtraction; in between another thread may already have taken the money.
class Account:
    def __init__(self, balance):
        self.balance = balance
        self._lock = threading.Lock()

    def deposit(self, amount):
        with self._lock:
            self.balance += amount

    def withdraw(self, amount):
        with self._lock:
            enough = self.balance >= amount
        if not enough:
            return False
        with self._lock:
            self.balance -= amount
        return True

# %% [mistake] Account unlocked_deposit
# zh: withdraw 用了锁，deposit 没有：两笔同时的存款可能丢掉一笔。
# en: withdraw takes the lock but deposit does not: of two deposits at the same time, one can be lost.
class Account:
    def __init__(self, balance):
        self.balance = balance
        self._lock = threading.Lock()

    def deposit(self, amount):
        self.balance += amount

    def withdraw(self, amount):
        with self._lock:
            if self.balance >= amount:
                self.balance -= amount
                return True
            return False

# %% [alternative] Account account_rlock
# zh: 每个账户一把 RLock；withdraw 在拿着锁的时候再调用同样拿锁的 deposit（RLock 可以重入）。
# en: One RLock per account; withdraw calls deposit, which takes the lock again, while holding it (an RLock is re-entrant).
class Account:
    def __init__(self, balance):
        self._lock = threading.RLock()
        self.balance = balance

    def deposit(self, amount):
        with self._lock:
            self.balance = self.balance + amount

    def withdraw(self, amount):
        with self._lock:
            if amount > self.balance:
                return False
            self.deposit(-amount)
            return True

# %% [alternative] Account account_try_finally
# zh: 教程的 acquire()/release() 写法，用 try/finally 保证提前 return 时也会释放锁。
# en: The tutorial's acquire()/release() style, with try/finally so that the lock is released also on an early return.
class Account:
    def __init__(self, balance):
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        self.lock.acquire()
        try:
            self.balance += amount
        finally:
            self.lock.release()

    def withdraw(self, amount):
        self.lock.acquire()
        try:
            if self.balance < amount:
                return False
            self.balance -= amount
            return True
        finally:
            self.lock.release()

# %% [alternative] Account class_lock
# zh: 所有账户共用一把类属性的锁：比每个账户一把锁慢一些（互不相干的账户也要排队），但同样正确。
# en: One lock shared by every account, as a class attribute: slower than a lock per account (unrelated accounts queue up), but just as correct.
class Account:
    _lock = threading.Lock()

    def __init__(self, balance):
        self.balance = balance

    def deposit(self, amount):
        with Account._lock:
            self.balance += amount

    def withdraw(self, amount):
        with Account._lock:
            ok = self.balance >= amount
            if ok:
                self.balance -= amount
        return ok

# %% [mistake] run_both opposite_order
# zh: 教程的两个函数去掉 sleep 和 timeout：拿锁的顺序相反，线程切换不走运时就死锁。
# en: The tutorial's two functions without the sleeps and timeouts: opposite lock order, a deadlock when the threads switch at an unlucky moment.
lock_1 = threading.Lock()
lock_2 = threading.Lock()


def func_1(work):
    with lock_1:
        with lock_2:
            work("func_1")


def func_2(work):
    with lock_2:
        with lock_1:
            work("func_2")


def run_both(work):
    t1 = threading.Thread(target=func_1, args=(work,))
    t2 = threading.Thread(target=func_2, args=(work,))
    t1.start()
    t2.start()
    t1.join()
    t2.join()

# %% [mistake] run_both opposite_order_with_sleeps
# zh: 教程原来的写法：拿锁的顺序相反，中间还 sleep 一下，不加 timeout：每次都死锁。
# en: The tutorial as it was: opposite lock order with a sleep in between and no timeout: it deadlocks every time.
lock_1 = threading.Lock()
lock_2 = threading.Lock()


def func_1(work, pause=0.05):
    lock_1.acquire()
    time.sleep(pause)
    lock_2.acquire()
    work("func_1")
    lock_2.release()
    lock_1.release()


def func_2(work, pause=0.05):
    lock_2.acquire()
    time.sleep(pause)
    lock_1.acquire()
    work("func_2")
    lock_1.release()
    lock_2.release()


def run_both(work):
    t1 = threading.Thread(target=func_1, args=(work,))
    t2 = threading.Thread(target=func_2, args=(work,))
    t1.start()
    t2.start()
    t1.join()
    t2.join()

# %% [mistake] run_both gives_up_on_timeout
# zh: 教程 func_1 的办法用在两边：顺序仍然相反，acquire(timeout=...) 超时就放弃，work 没有做。
# en: The tutorial's func_1 trick on both sides: the order is still opposite, and a timed-out acquire(timeout=...) gives up, skipping the work.
lock_1 = threading.Lock()
lock_2 = threading.Lock()


def func_1(work, timeout=0.2):
    with lock_1:
        if lock_2.acquire(timeout=timeout):
            try:
                work("func_1")
            finally:
                lock_2.release()
        else:
            print("func_1 注定没申请到lock_2.....")


def func_2(work, timeout=0.2):
    with lock_2:
        if lock_1.acquire(timeout=timeout):
            try:
                work("func_2")
            finally:
                lock_1.release()
        else:
            print("func_2 注定没申请到lock_1.....")


def run_both(work):
    t1 = threading.Thread(target=func_1, args=(work,))
    t2 = threading.Thread(target=func_2, args=(work,))
    t1.start()
    t2.start()
    t1.join()
    t2.join()

# %% [mistake] run_both work_outside_locks
# zh: 顺序改对了，但 func_2 先放开了 lock_2 才调用 work：work 只在 lock_1 的保护下运行。
# en: The order is fixed, but func_2 releases lock_2 before calling work: work runs under lock_1 only.
lock_1 = threading.Lock()
lock_2 = threading.Lock()


def func_1(work):
    with lock_1:
        with lock_2:
            work("func_1")


def func_2(work):
    with lock_1:
        with lock_2:
            print("func_2 申请了 lock_2....")
        work("func_2")


def run_both(work):
    t1 = threading.Thread(target=func_1, args=(work,))
    t2 = threading.Thread(target=func_2, args=(work,))
    t1.start()
    t2.start()
    t1.join()
    t2.join()

# %% [alternative] run_both one_with
# zh: 一条 with 语句按顺序拿两把锁：with lock_1, lock_2:。
# en: One with statement takes both locks in order: with lock_1, lock_2:.
lock_1 = threading.Lock()
lock_2 = threading.Lock()


def func_1(work):
    with lock_1, lock_2:
        work("func_1")


def func_2(work):
    with lock_1, lock_2:
        work("func_2")


def run_both(work):
    threads = [threading.Thread(target=f, args=(work,)) for f in (func_1, func_2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

# %% [alternative] run_both backoff_retry
# zh: 教程的 acquire(timeout=...) 用对了：两个函数按相反的顺序拿锁，但第二把锁限时等待；超时就放开第一把、稍等再重试，直到两把都拿到，一定会做事，也不会死锁。
# en: The tutorial's acquire(timeout=...) done right: the functions take the locks in opposite orders, but wait for the second one with a timeout; on a timeout they release the first, back off briefly and retry until both are held, so the work always gets done and nothing deadlocks.
lock_1 = threading.Lock()
lock_2 = threading.Lock()


def take_both(first, second, timeout=0.05, backoff=0.001):
    while True:
        first.acquire()
        if second.acquire(timeout=timeout):
            return
        first.release()
        time.sleep(backoff)


def func_1(work):
    take_both(lock_1, lock_2)
    try:
        work("func_1")
    finally:
        lock_2.release()
        lock_1.release()


def func_2(work):
    take_both(lock_2, lock_1)
    try:
        work("func_2")
    finally:
        lock_1.release()
        lock_2.release()


def run_both(work):
    t1 = threading.Thread(target=func_1, args=(work,))
    t2 = threading.Thread(target=func_2, args=(work,))
    t1.start()
    t2.start()
    t1.join()
    t2.join()

# %% [alternative] run_both both_try_finally
# zh: 教程的 acquire()/release() 写法，两个函数都先 lock_1 后 lock_2，try/finally 按相反顺序释放。
# en: The tutorial's acquire()/release() style, both functions lock_1 first, then lock_2, released in reverse order in try/finally.
lock_1 = threading.Lock()
lock_2 = threading.Lock()


def func_1(work):
    lock_1.acquire()
    try:
        print("func_1 申请了 lock_1....")
        lock_2.acquire()
        try:
            print("func_1 已经得到锁 lock_2")
            work("func_1")
        finally:
            lock_2.release()
    finally:
        lock_1.release()


def func_2(work):
    lock_1.acquire()
    try:
        print("func_2 申请了 lock_1.......")
        lock_2.acquire()
        try:
            print("func_2 申请了 lock_2....")
            work("func_2")
        finally:
            lock_2.release()
    finally:
        lock_1.release()


def run_both(work):
    t1 = threading.Thread(target=func_1, args=(work,))
    t2 = threading.Thread(target=func_2, args=(work,))
    t1.start()
    t2.start()
    t1.join()
    t2.join()
