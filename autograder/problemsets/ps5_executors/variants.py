# Example mistakes (one per mistake listed for ps5 in COURSE.md, and a few more) and alternative correct
# solutions. Each cell replaces one exercise's solution; the example class and the tests are built from them.

# %% [mistake] fetch_all fetch_sequential
# zh: 每提交一个任务就立刻等它的结果：线程池里一次只有一个 fetch 在运行。
# en: Waits for each task's result right after submitting it: the pool runs one fetch at a time.
def fetch_all(keys, fetch, max_workers):
    results = {}
    with ThreadPoolExecutor(max_workers=max_workers) as executor:
        for key in keys:
            future = executor.submit(fetch, key)
            try:
                results[key] = future.result()
            except Exception as exc:
                results[key] = exc
    return results

# %% [mistake] fetch_all fetch_no_pool
# zh: 根本没有用线程池，在调用者的线程里一个接一个地取。
# en: No thread pool at all: fetches one key after another in the caller's thread.
def fetch_all(keys, fetch, max_workers):
    results = {}
    for key in keys:
        try:
            results[key] = fetch(key)
        except Exception as exc:
            results[key] = exc
    return results

# %% [mistake] fetch_all fetch_too_many
# zh: 每个 key 一个线程，不管 max_workers。
# en: One thread per key, whatever max_workers says.
def fetch_all(keys, fetch, max_workers):
    results = {}
    with ThreadPoolExecutor(max_workers=max(1, len(keys))) as executor:
        futures = {key: executor.submit(fetch, key) for key in keys}
        for key, future in futures.items():
            try:
                results[key] = future.result()
            except Exception as exc:
                results[key] = exc
    return results

# %% [mistake] fetch_all fetch_one_failure
# zh: 直接取 result()：一个 fetch 出错，异常抛出来，其他结果全丢了。
# en: Calls result() unguarded: one failing fetch raises out of fetch_all and every other result is lost.
def fetch_all(keys, fetch, max_workers):
    with ThreadPoolExecutor(max_workers=max_workers) as executor:
        futures = {key: executor.submit(fetch, key) for key in keys}
        return {key: future.result() for key, future in futures.items()}

# %% [mistake] fetch_all fetch_pool_kept
# zh: 为了“复用”把线程池存起来，从不 shutdown()：返回之后线程池的线程还在运行，等着新任务。
# en: Keeps the pool for reuse and never shuts it down: its threads keep running, waiting for work, after the function returns.
pools = {}


def fetch_all(keys, fetch, max_workers):
    if max_workers not in pools:
        pools[max_workers] = ThreadPoolExecutor(max_workers=max_workers)
    executor = pools[max_workers]
    futures = {key: executor.submit(fetch, key) for key in keys}
    results = {}
    for key, future in futures.items():
        try:
            results[key] = future.result()
        except Exception as exc:
            results[key] = exc
    return results

# %% [alternative] fetch_all fetch_as_completed
# zh: 用 as_completed 按完成的顺序收集，future.exception() 判断是否出错。
# en: Collects in completion order with as_completed; future.exception() tells a failure.
def fetch_all(keys, fetch, max_workers):
    results = {}
    with ThreadPoolExecutor(max_workers=max_workers) as executor:
        key_of = {executor.submit(fetch, key): key for key in keys}
        for future in as_completed(key_of):
            error = future.exception()
            results[key_of[future]] = future.result() if error is None else error
    return results

# %% [alternative] fetch_all fetch_map_wrapper
# zh: executor.map 加一个把异常当作返回值的包装函数。
# en: executor.map with a wrapper that returns the exception instead of raising it.
def fetch_all(keys, fetch, max_workers):
    def safe_fetch(key):
        try:
            return fetch(key)
        except Exception as exc:
            return exc

    executor = ThreadPoolExecutor(max_workers=max_workers)
    try:
        return dict(zip(keys, executor.map(safe_fetch, keys)))
    finally:
        executor.shutdown(wait=True)

# %% [mistake] map_cpu map_threads
# zh: 顺序对了，但用的是线程池：计算受 GIL 限制，并没有用上多个核。
# en: The order is right, but it uses a thread pool: the GIL lets one thread compute at a time.
def map_cpu(f, items, max_workers):
    with ThreadPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(f, items))

# %% [mistake] map_cpu map_as_completed
# zh: 用了进程池，但按完成的顺序收集结果。
# en: A process pool, but results collected in completion order.
def map_cpu(f, items, max_workers):
    with ProcessPoolExecutor(max_workers=max_workers) as executor:
        futures = [executor.submit(f, item) for item in items]
        return [future.result() for future in as_completed(futures)]

# %% [mistake] map_cpu map_no_pool
# zh: 根本没有用进程池，在调用者的进程里算。
# en: No process pool at all: computes in the caller's process.
def map_cpu(f, items, max_workers):
    return [f(item) for item in items]

# %% [alternative] map_cpu map_submit
# zh: 逐个 submit，再按提交的顺序取 result()。
# en: Submits each item, then takes result() in submission order.
def map_cpu(f, items, max_workers):
    with ProcessPoolExecutor(max_workers=max_workers) as executor:
        futures = [executor.submit(f, item) for item in items]
        return [future.result() for future in futures]

# %% [alternative] map_cpu map_helper_chunks
# zh: 模块顶层的辅助函数（子进程按名字导入本模块找到它），分块发送。
# en: A module-level helper (children find it by importing this module by name), sent in chunks.
def apply_to(f, item):
    return f(item)


def map_cpu(f, items, max_workers):
    chunk = max(1, len(items) // (4 * max_workers))
    with ProcessPoolExecutor(max_workers=max_workers) as executor:
        return list(executor.map(apply_to, [f] * len(items), items, chunksize=chunk))

# %% [alternative] map_cpu map_spawn_context
# zh: 明确指定 spawn 启动方式，在所有系统上行为一致。
# en: Asks for the spawn start method explicitly, so it behaves the same on every system.
def map_cpu(f, items, max_workers):
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max_workers, mp_context=context) as executor:
        return list(executor.map(f, items))

# %% [mistake] first_result first_with_block
# zh: 逻辑对了，但放在 with 块里：返回之前要等所有任务结束。
# en: The right logic inside a with block: leaving it waits for every task before returning.
def first_result(tasks, timeout):
    with ThreadPoolExecutor(max_workers=len(tasks)) as executor:
        futures = [executor.submit(task) for task in tasks]
        first_error = None
        for future in as_completed(futures, timeout=timeout):
            if future.exception() is None:
                return future.result()
            if first_error is None:
                first_error = future.exception()
        raise first_error

# %% [mistake] first_result first_submitted
# zh: 等的是第一个提交的任务，而不是第一个完成的任务。
# en: Waits for the first task submitted instead of the first to finish.
def first_result(tasks, timeout):
    executor = ThreadPoolExecutor(max_workers=len(tasks))
    try:
        futures = [executor.submit(task) for task in tasks]
        return futures[0].result(timeout=timeout)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)

# %% [mistake] first_result first_counts_failure
# zh: 第一个完成的任务就算结果，哪怕它抛出了异常。
# en: Takes the first task to finish even when it raised.
def first_result(tasks, timeout):
    executor = ThreadPoolExecutor(max_workers=len(tasks))
    try:
        futures = [executor.submit(task) for task in tasks]
        for future in as_completed(futures, timeout=timeout):
            return future.result()
    finally:
        executor.shutdown(wait=False, cancel_futures=True)

# %% [mistake] first_result first_no_timeout
# zh: wait(FIRST_COMPLETED) 没有传 timeout：没有任务完成时一直等下去。
# en: wait(FIRST_COMPLETED) without a timeout: waits forever when no task finishes.
def first_result(tasks, timeout):
    executor = ThreadPoolExecutor(max_workers=len(tasks))
    try:
        pending = [executor.submit(task) for task in tasks]
        first_error = None
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                if future.exception() is None:
                    return future.result()
                if first_error is None:
                    first_error = future.exception()
        raise first_error
    finally:
        executor.shutdown(wait=False, cancel_futures=True)

# %% [alternative] first_result first_wait_deadline
# zh: wait(FIRST_COMPLETED) 加一个截止时间，每次只等剩下的时间。
# en: wait(FIRST_COMPLETED) against a deadline, each time waiting only for the time left.
def first_result(tasks, timeout):
    deadline = time.monotonic() + timeout
    executor = ThreadPoolExecutor(max_workers=max(1, len(tasks)))
    try:
        pending = {executor.submit(task) for task in tasks}
        errors = []
        while pending:
            done, pending = wait(pending, timeout=max(0.0, deadline - time.monotonic()),
                                 return_when=FIRST_COMPLETED)
            if not done:
                raise TimeoutError(f"no result within {timeout} s / {timeout} 秒内没有结果")
            for future in done:
                if future.exception() is None:
                    return future.result()
                errors.append(future.exception())
        raise errors[0]
    finally:
        executor.shutdown(wait=False, cancel_futures=True)

# %% [alternative] first_result first_queue_threads
# zh: 不用线程池：每个任务一个守护线程，结果放进 queue.Queue，用 get(timeout) 等。
# en: No pool: one daemon thread per task putting its outcome on a queue.Queue, read with get(timeout).
def first_result(tasks, timeout):
    outcomes = queue.Queue()

    def run(task):
        try:
            outcomes.put((True, task()))
        except Exception as exc:
            outcomes.put((False, exc))

    for task in tasks:
        threading.Thread(target=run, args=(task,), daemon=True).start()
    deadline = time.monotonic() + timeout
    first_error = None
    for _ in tasks:
        try:
            ok, value = outcomes.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError(f"no result within {timeout} s / {timeout} 秒内没有结果") from None
        if ok:
            return value
        if first_error is None:
            first_error = value
    raise first_error

# %% [mistake] run_command run_shell_join
# zh: 把参数拼成一条命令交给 shell：参数里的 ;、$(...)、* 和空格都被 shell 解释了。
# en: Joins the arguments into one shell command: the shell interprets ;, $(...), * and spaces in them.
def run_command(args, timeout):
    completed = subprocess.run(" ".join(args), shell=True, stdout=subprocess.PIPE, timeout=timeout,
                               encoding="utf-8")
    return completed.returncode, completed.stdout

# %% [mistake] run_command run_wait_pipes
# zh: 先 wait() 再读管道：输出超过管道缓冲时，子进程等人读，父进程等它结束——死锁，直到超时。
# en: wait() first, read the pipe afterwards: with more output than a pipe buffers, the child waits for a reader while the parent waits for it to end, a deadlock until the timeout.
def run_command(args, timeout):
    proc = subprocess.Popen(args, stdout=subprocess.PIPE)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    return proc.returncode, proc.stdout.read().decode("utf-8")

# %% [mistake] run_command run_left_running
# zh: 超时后直接把异常抛出去，子进程还在运行。
# en: On timeout, lets the exception out while the child keeps running.
def run_command(args, timeout):
    proc = subprocess.Popen(args, stdout=subprocess.PIPE)
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out.decode("utf-8")

# %% [mistake] run_command run_not_reaped
# zh: 超时后杀掉了子进程，却没有等它退出：它成了没人回收的僵尸进程。
# en: On timeout, kills the child but never waits for it: it is left as a zombie nobody reaps.
def run_command(args, timeout):
    proc = subprocess.Popen(args, stdout=subprocess.PIPE)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, out.decode("utf-8")

# %% [mistake] run_command run_check_true
# zh: check=True：退出码不为 0 时抛出 CalledProcessError，而不是返回它。
# en: check=True: a non-zero exit code raises CalledProcessError instead of being returned.
def run_command(args, timeout):
    completed = subprocess.run(args, stdout=subprocess.PIPE, timeout=timeout, encoding="utf-8", check=True)
    return completed.returncode, completed.stdout

# %% [alternative] run_command run_communicate
# zh: 文档里的写法：Popen 加 communicate(timeout)，超时后 kill() 再 communicate() 回收。
# en: The documentation's recipe: Popen and communicate(timeout); on timeout kill(), then communicate() to reap.
def run_command(args, timeout):
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, out.decode("utf-8", errors="replace")

# %% [alternative] run_command run_process_group
# zh: 子进程放进新的会话，超时后杀掉整个进程组（连它启动的进程一起），再回收。
# en: The child gets a session of its own; on timeout its whole process group is killed (its children too), then reaped.
def run_command(args, timeout):
    with subprocess.Popen(args, stdout=subprocess.PIPE, start_new_session=True) as proc:
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
        return proc.returncode, out.decode("utf-8")
