"""Hidden tests of ps3_queues. They run in a child process, one check per child.

Every check is scheduled (:func:`autograder.interleave.explore`): the student's threads
run one at a time under fixed schedules, on the kit's ``queue`` (the standard library's
own code on scheduler-aware primitives, however the student imported it), and time is
virtual. That makes the queue fight back the same way in every grading:

* producers are slow (``producer_time``): a ``put`` from any thread but the caller's takes a
  virtual second, and lasts until any consumer waiting in ``get(timeout=...)`` has timed out.
  Virtual time only moves when no thread can run, so every consumer looks at the queue before
  each product arrives: stopping on ``empty()``/``qsize()``, on a timeout, or on sentinels put
  before the producers finished loses products in every schedule;
* a consumer that waits for ever is a deadlock, seen the moment every thread waits, and read in
  queue terms (``get()`` on an empty queue, ``join()`` with unfinished tasks) plus the sentinels
  that were sent;
* spinning on ``empty()``/``get_nowait()`` uses up the step budget (the producers' virtual second
  never passes while a thread can run); polling with a sleep is counted from the queue's log.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from autograder.checks import check
from autograder.i18n import Msg
from autograder.interleave import Outcome, current_task, explore
from autograder.interleave.explain import item_text, left_running, where
from autograder.interleave.queues import QueueOp, QueueWait, QueueWatch

PRODUCER_TIME = 1.0  # virtual seconds a producer takes to make one product
MAX_STEPS = 50_000  # a correct run takes a few hundred steps; spinning reaches this at once
ONE_SCHEDULE = ("rr:1",)  # structural checks: one fair, fully interleaved schedule is enough


class ItemError(Exception):
    """What the grader's ``handle`` raises for the items it fails on purpose."""


class Handle:
    """The ``handle`` callback: records every call with the thread that made it."""

    def __init__(self, fail_on: tuple = ()):
        self.fail_on = fail_on
        self.calls: list[tuple[Any, str, int]] = []  # (item, thread name, task id)

    def __call__(self, item: Any) -> None:
        task = current_task()
        self.calls.append((item, task.name if task else "?", task.tid if task else -1))
        if any(item == bad for bad in self.fail_on):
            raise ItemError(f"handle({item!r}) failed")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _list(values: list) -> tuple[str, str]:
    shown = [item_text(v) for v in values[:8]]
    more = len(values) - len(shown)
    return ("、".join(shown) + (f" 等 {len(values)} 个" if more else ""),
            ", ".join(shown) + (f" and {more} more" if more else ""))


def _is_item(value: Any, n: int) -> bool:
    return type(value) is int and 0 <= value < n


def main_queue(o: Outcome) -> QueueWatch | None:
    """The queue the products went through (the one with the most puts)."""
    watches = [w for w in o.queues if w.of("put")]
    return max(watches, key=lambda w: len(w.of("put"))) if watches else None


# ---------------------------------------------------------------- produce_and_consume: what the log says

def _stop_reason(ops: list[QueueOp], n: int) -> tuple[str, QueueOp] | None:
    """Why a consumer stopped: its last look at the queue (an empty poll, an Empty, a sentinel)."""
    for op in reversed(ops):
        if op.kind == "poll" and ((op.detail == "empty" and op.item is True) or (op.detail == "qsize" and op.item == 0)):
            return "poll", op
        if op.kind == "empty":
            return ("nowait" if op.detail == "nowait" else "timeout"), op
        if op.kind == "get":
            return ("sentinel", op) if not _is_item(op.item, n) else None
    return None


def why_lost(o: Outcome, n: int) -> Msg:
    """The consumers that stopped while products were still to come, and what made each stop."""
    w = main_queue(o)
    if w is None:
        return Msg("没有任何产品被放进队列。", "No product was ever put into a queue.")
    item_puts = [op for op in w.of("put") if _is_item(op.item, n)]
    last_put = max((op.step for op in item_puts), default=-1)
    ended = {t.tid: t.ended_step for t in o.run.tasks}
    lines = Msg("", "")
    kinds: set[str] = set()
    consumers = sorted({op.tid for op in w.ops if op.kind in ("get", "empty", "poll") and op.tid != 0})
    for tid in consumers:
        end = ended.get(tid)
        if end is None or end > last_put:
            continue
        mine = [op for op in w.ops if op.tid == tid]
        reason = _stop_reason(mine, n)
        if reason is None:
            continue
        kind, op = reason
        kinds.add(kind)
        at = where(op.where)
        left = n - len({p.item for p in item_puts if p.step <= op.step})
        if kind == "poll":
            call = f"{w.label}.{op.detail}()"
            lines = lines + Msg(f"\n  - {op.task} 用 {call} 看到队列是空的就停了（{at.zh}），之后还有 {left} 个产品要来",
                                f"\n  - {op.task} saw an empty queue with {call} ({at.en}) and stopped, with "
                                f"{left} more product{'s' if left != 1 else ''} still to come")
        elif kind in ("timeout", "nowait"):
            call = f"{w.label}.get_nowait()" if kind == "nowait" else f"{w.label}.get(timeout={op.detail!r})"
            lines = lines + Msg(f"\n  - {op.task} 的 {call} 抛出了 queue.Empty，它就停了（{at.zh}），之后还有 {left} 个产品要来",
                                f"\n  - {op.task} stopped when {call} raised queue.Empty ({at.en}), with {left} more "
                                f"product{'s' if left != 1 else ''} still to come")
        else:
            lines = lines + Msg(f"\n  - {op.task} 取到了哨兵 {item_text(op.item)} 就停了（{at.zh}），可是生产者还有 {left} 个产品没放",
                                f"\n  - {op.task} took the sentinel {item_text(op.item)} ({at.en}) and stopped while "
                                f"the producers still had {left} product{'s' if left != 1 else ''} to put")
    advice = Msg("", "")
    if kinds & {"poll", "nowait"}:
        advice = advice + Msg("\n评分时生产者故意很慢：队列空只说明下一个产品还没做好，不说明做完了。消费者应该在 get() 里等，"
                              "取到哨兵才停。",
                              "\nThe grader's producers are slow on purpose: an empty queue only means that the next "
                              "product is not ready yet, not that the work is over. Wait in get() and stop on a "
                              "sentinel.")
    if "timeout" in kinds:
        advice = advice + Msg("\nget(timeout=...) 超时也不说明做完了：生产者可能只是慢。用不带 timeout 的 get()，取到哨兵才停。",
                              "\nA get(timeout=...) that runs out does not mean the work is over either: the "
                              "producers may just be slow. Use get() without a timeout and stop on a sentinel.")
    if "sentinel" in kinds:
        early = [op for op in w.of("put") if not _is_item(op.item, n) and op.step < last_put]
        at = where(early[0].where) if early else None
        advice = advice + Msg("\n哨兵放得太早了" + (f"（{early[0].task} 在 {at.zh} 放的）" if at else "") +
                              "：要等所有生产者都 join 之后再放，哨兵才会排在所有产品后面。",
                              "\nThe sentinels were put too early" + (f" ({early[0].task} at {at.en})" if at else "") +
                              ": join every producer first, so that the sentinels queue up behind every product.")
    if not lines.en:
        return Msg("消费者在所有产品都处理完之前就停了。", "The consumers stopped before every product was handled.")
    return Msg("这些消费者在产品还没放完时就停了：", "These consumers stopped while products were still to come:") \
        + lines + advice


def check_products(o: Outcome, n: int, call: str) -> Msg | None:
    """Every product handled exactly once by the time the call returned, and nothing else handled."""
    got = Counter(item for item, _, _ in o.value)
    lost = [i for i in range(n) if got[i] == 0]
    twice = [i for i in range(n) if got[i] > 1]
    strange = [item for item in got if not _is_item(item, n)]
    if lost and o.leftover:
        zh, en = _list(lost)
        return Msg(f"{call} 返回得太早了：{len(lost)} 个产品还没有被处理（{zh}），这些线程还在运行：",
                   f"{call} returned too early: {len(lost)} of the {n} products had not been handled yet ({en}), "
                   "and these threads were still running:") + left_running(o.run.left) + \
            Msg("\n返回之前要 join 所有消费者。", "\nJoin every consumer before returning.")
    if lost:
        zh, en = _list(lost)
        return Msg(f"{call} 返回时有 {len(lost)} 个产品没有被处理：{zh}。\n",
                   f"When {call} returned, {len(lost)} of the {n} products had not been handled: {en}.\n") \
            + why_lost(o, n)
    if strange:
        zh, en = _list(strange)
        return Msg(f"handle 收到了不是产品的值：{zh}。哨兵只是用来让消费者停下的，不要交给 handle。",
                   f"handle was called with values that are not products: {en}. A sentinel only tells a "
                   "consumer to stop: do not pass it to handle.")
    if twice:
        zh, en = _list(twice)
        msg = Msg(f"这些产品被处理了不止一次：{zh}。", f"These products were handled more than once: {en}.")
        w = main_queue(o)
        if w is not None:
            puts = Counter(op.item for op in w.of("put"))
            dup = [i for i in twice if puts[i] > 1]
            if dup:
                zh, en = _list(dup)
                msg = msg + Msg(f"它们被放进队列不止一次（{zh}）：生产者要一起把每个产品恰好放一次（比如按 range(i, n, n_producers) 分）。",
                                f" They were put into the queue more than once ({en}): together the producers put "
                                "each product exactly once (split them, e.g. range(i, n, n_producers)).")
        return msg
    return None


def sentinel_note(o: Outcome, n: int, n_consumers: int) -> Msg | None:
    """With consumers stuck in get(): how many sentinels were sent, for how many consumers."""
    w = main_queue(o)
    stuck = [t for t in (o.run.deadlock or []) if isinstance(t.detail, QueueWait) and t.detail.role == "get"]
    if w is None or not stuck:
        return None
    sentinels = [op for op in w.of("put") if not _is_item(op.item, n)]
    k = len(sentinels)
    if k == 0:
        return Msg(f"没有放任何哨兵：{n_consumers} 个消费者不知道生产者已经做完了，只能永远等在 get() 里。"
                   f"所有生产者 join 之后，给每个消费者放一个哨兵（一共 {n_consumers} 个）。",
                   f"No sentinel was put: the {n_consumers} consumers cannot know that the producers are done, so "
                   f"they wait in get() for ever. After joining every producer, put one sentinel per consumer "
                   f"({n_consumers} in all).")
    if k < n_consumers:
        kinds = sorted({item_text(op.item) for op in sentinels})
        return Msg(f"{n_consumers} 个消费者只放了 {k} 个哨兵（{'、'.join(kinds)}）：一个消费者取到哨兵就停了，"
                   "别的消费者永远等在 get() 里。每个消费者放一个哨兵（或者让取到哨兵的消费者再把它放回去，留给下一个）。",
                   f"{_plural(k, 'sentinel')} ({', '.join(kinds)}) {'was' if k == 1 else 'were'} put for "
                   f"{n_consumers} consumers: a consumer that takes one stops, and the others wait in get() for "
                   "ever. Put one per consumer (or let a consumer that takes it put it back for the next one).")
    return None


def _pollers(o: Outcome) -> list[tuple[str, int, QueueOp]]:
    """Threads that asked the queue instead of waiting: (thread, polls that found nothing, first such poll)."""
    found: dict[int, list[QueueOp]] = {}
    for w in o.queues:
        for op in w.ops:
            empty = (op.kind == "poll" and ((op.detail == "empty" and op.item is True)
                                            or (op.detail == "qsize" and op.item == 0)
                                            or (op.detail == "full" and op.item is False))) \
                or (op.kind == "empty" and op.detail == "nowait")
            if empty:
                found.setdefault(op.tid, []).append(op)
    return [(ops[0].task, len(ops), ops[0]) for ops in found.values()]


def poll_note(o: Outcome) -> Msg | None:
    """For a run out of steps: who was polling the queue, and how often."""
    busy = sorted(_pollers(o), key=lambda p: -p[1])
    if not busy:
        return None
    name, count, op = busy[0]
    call = f"{op.detail}()" if op.kind == "poll" else "get_nowait()"
    at = where(op.where)
    return Msg(f"{name} 问了 {count} 次队列有没有东西（{call}，{at.zh}），而不是在 get() 里等：这是轮询（忙等）。"
               "get() 会一直睡到有产品为止，其间不占 CPU。",
               f"{name} asked the queue {count} times whether it held anything ({call}, {at.en}) instead of "
               "waiting in get(): that is polling (busy waiting). get() sleeps until a product arrives and uses "
               "no CPU meanwhile.")


def pc_context(n: int, n_consumers: int) -> Any:
    def context(o: Outcome) -> Msg | None:
        parts = [m for m in (sentinel_note(o, n, n_consumers), poll_note(o) if o.run.failure == "steps" else None)
                 if m is not None]
        if o.run.deadlock and any(isinstance(t.detail, QueueWait) and t.detail.role == "put" for t in o.run.deadlock):
            parts.append(why_lost(o, n))
        if not parts:
            return None
        msg = parts[0]
        for part in parts[1:]:
            msg = msg + Msg.same("\n") + part
        return msg

    return context


def pc_scenario(queues: Any, n: int, producers: int, consumers: int, maxsize: int) -> Any:
    def scenario() -> list:
        handle = Handle()
        queues.produce_and_consume(n, producers, consumers, handle, maxsize)
        return list(handle.calls)  # what had been handled when the call returned

    return scenario


def explore_pc(queues: Any, n: int, producers: int, consumers: int, maxsize: int, verify: Any,
               schedules: tuple[str, ...] | None = None) -> list[Outcome]:
    kwargs = {"schedules": schedules} if schedules else {}
    return explore(pc_scenario(queues, n, producers, consumers, maxsize), verify=verify, lock_order=False,
                   producer_time=PRODUCER_TIME, max_steps=MAX_STEPS, context=pc_context(n, consumers), **kwargs)


def _call(n: int, producers: int, consumers: int, maxsize: int) -> str:
    return f"produce_and_consume({n}, {producers}, {consumers}, handle, {maxsize})"


# ---------------------------------------------------------------- produce_and_consume

@check("produce_and_consume", points=3, scheduled=True,
       en="every product handled exactly once with slow producers, in every thread schedule",
       zh="生产者很慢时，在任何线程调度下每个产品都恰好处理一次")
def test_every_product_once(queues):
    n, p, c = 12, 2, 3
    explore_pc(queues, n, p, c, 0, lambda o: check_products(o, n, _call(n, p, c, 0)))


@check("produce_and_consume", points=2, scheduled=True,
       en="a bounded queue (maxsize=2): never more than 2 products in it, and every product handled once",
       zh="有界队列（maxsize=2）：队列里最多 2 个产品，每个产品都恰好处理一次")
def test_bounded_queue(queues):
    n, p, c, maxsize = 10, 3, 2, 2

    def verify(o: Outcome) -> Msg | None:
        problem = check_products(o, n, _call(n, p, c, maxsize))
        if problem is not None:
            return problem
        w = main_queue(o)
        if w is not None and (w.maxsize != maxsize or w.most > maxsize):
            return Msg(f"{_call(n, p, c, maxsize)} 用的队列 maxsize={w.maxsize}，里面一度有 {w.most} 个产品："
                       "要用 queue.Queue(maxsize) 建队列。",
                       f"{_call(n, p, c, maxsize)} used a queue with maxsize={w.maxsize} that held up to "
                       f"{w.most} products at once: make it with queue.Queue(maxsize).")
        return None

    explore_pc(queues, n, p, c, maxsize, verify)


@check("produce_and_consume", points=2, scheduled=True,
       en="returns only when every product is handled and every thread it started has ended",
       zh="每个产品都处理完、启动的线程都结束之后才返回")
def test_returns_when_done(queues):
    n, p, c = 6, 1, 2

    def verify(o: Outcome) -> Msg | None:
        if o.leftover:
            handled = len({item for item, _, _ in o.value if _is_item(item, n)})
            return Msg(f"{_call(n, p, c, 0)} 返回时（{n} 个产品处理了 {handled} 个）这些线程还在运行：",
                       f"{_call(n, p, c, 0)} returned ({handled} of the {n} products handled by then) while these "
                       "threads were still running:") + left_running(o.run.left) + \
                Msg("\n返回之前要 join 所有消费者（和生产者）。",
                    "\nJoin every consumer (and producer) before returning.")
        return None

    explore_pc(queues, n, p, c, 0, verify)


@check("produce_and_consume", points=1, scheduled=True,
       en="producers and consumers in threads of their own; consumers wait in get() instead of polling",
       zh="生产者和消费者都在自己的线程里；消费者在 get() 里等，不轮询")
def test_threads_and_no_polling(queues):
    n, p, c = 12, 2, 3

    def verify(o: Outcome) -> Msg | None:
        call = _call(n, p, c, 0)
        w = main_queue(o)
        if w is None:
            return Msg(f"{call} 没有往队列里放任何东西。", f"{call} put nothing into a queue.")
        putters = {op.tid for op in w.of("put") if _is_item(op.item, n)}
        if any(op.tid == 0 for op in w.of("put") if _is_item(op.item, n)):
            return Msg("产品是在调用者的线程里放进队列的：要由生产者线程来放。",
                       "Products were put into the queue in the caller's own thread: the producer threads put them.")
        if len(putters) != p:
            return Msg(f"{call} 里放产品的线程有 {len(putters)} 个，应该是 {p} 个生产者。",
                       f"In {call}, {len(putters)} threads put products; there should be {p} producers.")
        if any(tid == 0 for _, _, tid in o.value):
            return Msg("handle 是在调用者的线程里被调用的：要由消费者线程来调用。",
                       "handle was called in the caller's own thread: the consumer threads call it.")
        producers = {op.tid for op in w.of("put") if _is_item(op.item, n)}
        readers = {op.tid for op in w.ops if op.kind in ("get", "empty", "poll") and op.tid != 0} - producers
        if len(readers) != c:
            return Msg(f"{call} 里从队列取东西的线程有 {len(readers)} 个，应该是 {c} 个消费者。",
                       f"In {call}, {len(readers)} threads took things out of the queue; there should be {c} "
                       "consumers.")
        busy = [(name, count, op) for name, count, op in _pollers(o) if count > n + c]
        if busy:
            return poll_note(o)
        return None

    explore_pc(queues, n, p, c, 0, verify, schedules=ONE_SCHEDULE)


# ---------------------------------------------------------------- process_all

ITEMS = tuple("初始产品" + str(i) for i in range(8))


def _task_done_note(o: Outcome, items: tuple) -> Msg | None:
    w = main_queue(o)
    if w is None:
        return None
    gets, dones = len(w.of("get")), len(w.of("task_done"))
    if dones > gets:
        return Msg(f"task_done() 调用了 {dones} 次，可是只取出了 {gets} 个 item：每个 item 只能调用一次"
                   "（比如只在 finally 里调用）。",
                   f"task_done() was called {dones} times for {gets} items taken: call it exactly once per "
                   "item (in a finally block, say, and nowhere else).")
    return None


def all_context(items: tuple) -> Any:
    return lambda o: _task_done_note(o, items)


def check_all_handled(o: Outcome, items: tuple, n_workers: int) -> Msg | None:
    got = Counter(item for item, _, _ in o.value)
    lost = [i for i in items if got[i] == 0]
    twice = [i for i in items if got[i] > 1]
    call = f"process_all(items, {n_workers}, handle)"
    if lost:
        zh, en = _list(lost)
        msg = Msg(f"{call} 在 {len(items)} 个 item 中还有 {len(lost)} 个没有处理时就返回了：{zh}。",
                  f"{call} returned while {len(lost)} of the {len(items)} items had not been handled yet: {en}.")
        note = _task_done_note(o, items)
        return msg + (Msg.same(" ") + note if note is not None else Msg("", ""))
    if twice:
        zh, en = _list(twice)
        return Msg(f"这些 item 被处理了不止一次：{zh}。", f"These items were handled more than once: {en}.")
    return None


@check("process_all", points=3, scheduled=True,
       en="every item handled once before it returns, in every thread schedule",
       zh="在任何线程调度下，返回之前每个 item 都恰好处理一次")
def test_all_items_before_return(queues):
    def scenario() -> list:
        handle = Handle()
        queues.process_all(list(ITEMS), 3, handle)
        return list(handle.calls)

    explore(scenario, verify=lambda o: check_all_handled(o, ITEMS, 3), lock_order=False, max_steps=MAX_STEPS,
            context=all_context(ITEMS))


@check("process_all", points=3, scheduled=True,
       en="an item whose handle raises does not hang the queue, in every thread schedule",
       zh="在任何线程调度下，handle 抛出异常的 item 不会让队列卡住")
def test_failing_item_does_not_hang(queues):
    bad = (ITEMS[2], ITEMS[5])

    def scenario() -> list:
        handle = Handle(fail_on=bad)
        queues.process_all(list(ITEMS), 3, handle)
        return list(handle.calls)

    explore(scenario, verify=lambda o: check_all_handled(o, ITEMS, 3), lock_order=False, max_steps=MAX_STEPS,
            ignore_errors=(ItemError,), context=all_context(ITEMS))


@check("process_all", points=2, scheduled=True,
       en="daemon workers, task_done() for every item and q.join(); no non-daemon thread left",
       zh="守护工作线程，每个 item 都 task_done()，调用 q.join()；不留下非守护线程")
def test_daemon_workers_and_join(queues):
    n_workers = 3

    def scenario() -> list:
        handle = Handle()
        queues.process_all(list(ITEMS), n_workers, handle)
        return list(handle.calls)

    def verify(o: Outcome) -> Msg | None:
        if o.leftover_non_daemon:
            left = [t for t in o.run.left if not t.daemon]
            return Msg("process_all() 返回时留下了还在运行的非守护线程：", "process_all() returned and left non-daemon "
                       "threads running:") + left_running(left) + \
                Msg("\n工作线程要设成守护线程（daemon=True），程序退出时才不会等它们。",
                    "\nMake the workers daemon threads (daemon=True), so that they keep nothing alive.")
        w = main_queue(o)
        if w is None:
            return Msg("process_all() 没有往队列里放任何东西。", "process_all() put nothing into a queue.")
        if not any(op.tid == 0 for op in w.of("joined")):
            return Msg("调用者没有用 q.join() 等队列里的 item 做完。",
                       "The caller did not wait with q.join() for the queue's items to be done.")
        if any(tid == 0 for _, _, tid in o.value):
            return Msg("handle 是在调用者的线程里被调用的：要由工作线程来调用。",
                       "handle was called in the caller's own thread: the worker threads call it.")
        started = [t for t in o.run.tasks if t.tid != 0]
        if len(started) != n_workers:
            return Msg(f"process_all(items, {n_workers}, handle) 启动了 {len(started)} 个线程，应该是 {n_workers} 个工作线程。",
                       f"process_all(items, {n_workers}, handle) started {len(started)} threads; there should be "
                       f"{n_workers} workers.")
        return None

    explore(scenario, verify=verify, lock_order=False, max_steps=MAX_STEPS, schedules=ONE_SCHEDULE,
            context=all_context(ITEMS))
