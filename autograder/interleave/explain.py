"""Turn a run's model state into sentences a student can act on.

* a deadlock: who holds which lock, who waits for what, at which line, and the cycle;
* a lost update or a stale check: the few read/write steps that broke the invariant;
* a lock-order inversion seen in runs that happened not to deadlock.
"""

from __future__ import annotations

import linecache
import os

from autograder.i18n import Msg
from autograder.interleave.queues import Owed, QueueWait
from autograder.interleave.scheduler import Event, Frozen, Run, Task, Where

STORY_STEPS = 6


def where(w: Where | None) -> Msg:
    """``locks.py, line 12: total += 1`` (or the notebook cell), via the child's locator when present."""
    if w is None:
        return Msg("（位置未知）", "(unknown place)")
    from autograder import child

    code = linecache.getline(w.filename, w.lineno).strip()
    if child.LOCATOR is not None:
        at = child.LOCATOR.where(w.filename, w.lineno)
    else:
        name = os.path.basename(w.filename)
        at = Msg(f"{name} 第 {w.lineno} 行", f"{name}, line {w.lineno}")
    return at + Msg.same(f": `{code}`") if code else at


def _label(obj: object) -> str:
    label = getattr(obj, "kit_label", None)
    return label() if callable(label) else type(obj).__name__


def _holding(task: Frozen) -> Msg:
    if not task.held:
        return Msg("", "")
    parts_zh, parts_en = [], []
    for lock in task.held:
        at = where(lock._taken_at)
        parts_zh.append(f"{_label(lock)}（在 {at.zh} 拿到）")
        parts_en.append(f"{_label(lock)} (taken at {at.en})")
    return Msg("持有 " + "、".join(parts_zh) + "，", "holds " + ", ".join(parts_en) + ", and ")


def item_text(item: object) -> str:
    """An item as a report shows it: short reprs, long ones cut."""
    text = repr(item)
    return text if len(text) <= 40 else text[:37] + "..."


def _items(values: list[str], most: int = 4) -> tuple[str, str]:
    """``0, 3 and 5``, or ``0, 1, 2, 3 and 7 more`` (zh, en)."""
    if len(values) > most:
        shown = values[:most]
        return "、".join(shown) + f" 等 {len(values)} 个", ", ".join(shown) + f" and {len(values) - most} more"
    if len(values) == 1:
        return values[0], values[0]
    return "、".join(values), ", ".join(values[:-1]) + " and " + values[-1]


def _owed(owed: tuple[Owed, ...]) -> Msg:
    """``item 3 (taken by Thread-2 (worker) at ...)``: the items whose task_done never came."""
    if len(owed) == 1:
        o = owed[0]
        at = where(o.where)
        return Msg(f"{item_text(o.item)}（{o.task} 在 {at.zh} 取出）", f"{item_text(o.item)} (taken by {o.task} at {at.en})")
    takers = sorted({o.task for o in owed})
    zh, en = _items([item_text(o.item) for o in owed])
    return Msg(f"{zh}（由 {'、'.join(takers)} 取出）", f"{en} (taken by {', '.join(takers)})")


def _queue_wait(task: Frozen, d: QueueWait) -> Msg:
    """A wait inside a queue, in the queue's terms."""
    at = where(task.wait_where)
    q = d.label
    if d.role == "get":
        return Msg(f"在 {at.zh} 阻塞于 {q}.get()：队列是空的，没有谁会唤醒它",
                   f"is blocked in {q}.get() at {at.en} on an empty queue, and nothing will wake it")
    if d.role == "put":
        return Msg(f"在 {at.zh} 阻塞于 {q}.put()：队列满了（{d.qsize} 个，maxsize={d.maxsize}），没有线程再从里面取",
                   f"is blocked in {q}.put() at {at.en} on a full queue ({d.qsize} items, maxsize={d.maxsize}), "
                   "and no thread takes anything out any more")
    n = d.unfinished
    msg = Msg(f"在 {at.zh} 的 {q}.join() 里等待 {n} 个未完成的任务", f"waits in {q}.join() at {at.en} for {n} unfinished "
              f"task{'s' if n != 1 else ''}")
    if d.owed:
        msg = msg + Msg("：这些 item 取出之后没有调用 task_done()：", ": task_done() was not called for ") + _owed(d.owed)
    if d.qsize:
        msg = msg + Msg(f"；还有 {d.qsize} 个 item 留在队列里，没有线程去取",
                        f"; {d.qsize} item{'s are' if d.qsize != 1 else ' is'} still in the queue, and no thread "
                        "takes them")
    return msg


def _queue_summary(tasks: list[Frozen]) -> Msg:
    """One sentence per kind of queue wait, one a line: how many wait, and what would have freed them."""
    lines: list[Msg] = []
    waits = [(t, t.detail) for t in tasks if isinstance(t.detail, QueueWait)]
    for role in ("get", "put", "join"):
        by_queue: dict[str, list[Frozen]] = {}
        for t, d in waits:
            if d.role == role:
                by_queue.setdefault(d.label, []).append(t)
        for q, group in by_queue.items():
            k = len(group)
            threads = f"{k} thread{'s' if k != 1 else ''} wait{'s' if k == 1 else ''}"
            if role == "get":
                lines.append(Msg(f"{k} 个线程在 {q}.get() 里等一个空队列，而已经没有线程会再往里放东西了。",
                                 f"{threads} in {q}.get() on an empty queue, and no thread is left that could put "
                                 "anything in it."))
            elif role == "put":
                lines.append(Msg(f"{k} 个线程在 {q}.put() 里等一个满了的队列，而已经没有线程会从里面取了。",
                                 f"{threads} in {q}.put() on a full queue, and no thread is left that takes items "
                                 "out of it."))
            else:
                lines.append(Msg(f"{q}.join() 要等到每个用 get() 取出的 item 都调用过一次 task_done()"
                                 "（处理出错时也要调用：放进 finally）。",
                                 f"{q}.join() returns once task_done() has been called once for every item taken "
                                 "with get() (also when handling it fails: call it in a finally block)."))
    msg = Msg("", "")
    for n, line in enumerate(lines):
        msg = msg + (Msg.same("\n") if n else Msg("", "")) + line
    return msg


def _waits(task: Frozen, alive: set[int]) -> Msg:
    if isinstance(task.detail, QueueWait):
        return _queue_wait(task, task.detail)
    at = where(task.wait_where)
    on = task.waiting_on
    if task.wait_what == "join" and isinstance(on, Task):
        return Msg(f"在 {at.zh} 等待 {on.name} 结束（join）", f"waits for {on.name} to finish (join) at {at.en}")
    if task.wait_what == "acquire":
        owner = getattr(on, "_owner", None)
        text = Msg(f"在 {at.zh} 等待 {_label(on)}", f"waits for {_label(on)} at {at.en}")
        if owner is not None and owner.tid == task.tid:
            return text + Msg("——这把锁它自己已经持有了（Lock 不可重入：每次用完都要 release）",
                              ", which it already holds itself (a Lock is not re-entrant: release it after each use)")
        if owner is not None and owner.tid not in alive:
            return text + Msg(f"——这把锁被 {owner.name} 拿走，而 {owner.name} 结束时没有释放它",
                              f", which {owner.name} took and never released before it ended")
        if owner is not None:
            return text + Msg(f"（被 {owner.name} 持有）", f" (held by {owner.name})")
        return text
    what = task.wait_what or "wait"
    return Msg(f"在 {at.zh} 阻塞于 {_label(on)}.{what}()，没有谁会唤醒它",
               f"is blocked in {_label(on)}.{what}() at {at.en}, and nothing will wake it")


def _next(t: Frozen, by_tid: dict[int, Frozen]) -> Frozen | None:
    on = t.waiting_on
    nxt = getattr(on, "_owner", None) if t.wait_what == "acquire" else (on if isinstance(on, Task) else None)
    return by_tid.get(nxt.tid) if nxt is not None else None


def _cycle(tasks: list[Frozen]) -> list[Frozen] | None:
    by_tid = {t.tid: t for t in tasks}
    for start in tasks:
        path, t = [start], start
        while (nxt := _next(t, by_tid)) is not None and nxt is not t:
            if nxt is start:
                return path
            if nxt in path:
                break
            path.append(nxt)
            t = nxt
    return None


def deadlock(run: Run) -> Msg:
    tasks = run.deadlock or []
    alive = {t.tid for t in tasks}
    msg = Msg("死锁：所有线程都在等待，没有一个能继续。\n", "Deadlock: every thread is waiting and none can go on.\n")
    for t in tasks:
        msg = msg + Msg.same(f"  - {t.name} ") + _holding(t) + _waits(t, alive) + Msg.same("\n")
    for t in run.tasks:
        if t.state == "done" and t.error is not None:
            exc = t.error
            msg = msg + Msg(f"  - {t.name} 之前已经因为异常结束了：{type(exc).__name__}: {exc}\n",
                            f"  - {t.name} had already ended with an exception: {type(exc).__name__}: {exc}\n")
    summary = _queue_summary(tasks)
    msg = msg + summary
    cycle = _cycle([t for t in tasks if t.wait_what == "acquire"])
    if cycle and len(cycle) > 1:
        loop = " → ".join(f"{t.name} → {_label(t.waiting_on)}" for t in cycle) + f" → {cycle[0].name}"
        if summary.en:
            msg = msg + Msg.same("\n")
        msg = msg + Msg(f"循环等待：{loop}。两个线程以相反的顺序拿同样的锁；所有线程都按同一顺序加锁就不会死锁。",
                        f"The cycle: {loop}. The threads take the same locks in opposite orders; "
                        "taking them in one fixed order everywhere cannot deadlock.")
    return msg


def left_running(left: list[Frozen]) -> Msg:
    """The threads a call left running when it returned, one line each, with where each one waited."""
    msg = Msg("", "")
    for t in left:
        kind = Msg("（守护线程）", " (a daemon thread)") if t.daemon else Msg("", "")
        if t.state != "blocked":
            state = Msg("还在运行", "was still running")
        elif t.wait_what == "sleep":
            state = Msg(f"在 {where(t.wait_where).zh} 睡眠（sleep）", f"was sleeping at {where(t.wait_where).en}")
        elif isinstance(t.detail, QueueWait) and t.detail.role == "get":
            state = Msg(f"在 {where(t.wait_where).zh} 阻塞于 {t.detail.label}.get()",
                        f"was blocked in {t.detail.label}.get() at {where(t.wait_where).en}")
        else:
            state = _waits(t, set())
        msg = msg + Msg.same(f"\n  - {t.name}") + kind + Msg.same(" ") + state
    return msg


def not_finishing(run: Run) -> Msg:
    names = ", ".join(run.unfinished)  # every task is done by now: they were unwound
    msg = Msg(f"{run.max_steps} 步之后线程还没有结束（{names}）：是不是有线程在忙等另一个线程（例如 "
              "while not done: pass，或 while lock.locked(): pass）？",
              f"After {run.max_steps} scheduling steps the threads had still not finished ({names}): is a thread "
              "spinning while it waits for another (like `while not done: pass` or `while lock.locked(): pass`)?")
    if run.last_step is not None:
        name, at = run.last_step
        msg = msg + Msg(f"\n最后在运行的是 {name}，位置：{where(at).zh}", f"\nThe last to run was {name}, at {where(at).en}")
        loop = _enclosing_loop(at)
        if loop is not None:
            msg = msg + Msg(f"，在这个循环里：{where(loop).zh}", f", in the loop at {where(loop).en}")
    return msg


def _enclosing_loop(at: Where | None) -> Where | None:
    """The ``while``/``for`` line around ``at`` (the loop that used up the steps), if any."""
    if at is None:
        return None
    line = linecache.getline(at.filename, at.lineno)
    indent = len(line) - len(line.lstrip())
    for lineno in range(at.lineno, 0, -1):
        text = linecache.getline(at.filename, lineno)
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        depth = len(text) - len(text.lstrip())
        if lineno == at.lineno or depth >= indent:
            continue
        indent = depth
        if text.lstrip().startswith(("while ", "while(", "for ")):
            return Where(at.filename, lineno, at.func)
        if text.lstrip().startswith(("def ", "class ")):
            return None
    return None


def _step(e: Event) -> Msg:
    verb = {"read": ("读到", "read"), "write": ("写入", "wrote")}[e.kind]
    at = where(e.where)
    return Msg(f"{e.task} {verb[0]} {e.label} = {e.value!r}（{at.zh}）", f"{e.task} {verb[1]} {e.label} = {e.value!r} ({at.en})")


def stale_write(run: Run) -> Msg | None:
    """The first write based on a value another thread changed in between: the lost update."""
    events = [e for e in run.trace if e.kind in ("read", "write")]
    first_read: dict[tuple[int, str], int] = {}
    for i, e in enumerate(events):
        key = (e.tid, e.label)
        if e.kind == "read":
            first_read.setdefault(key, i)
            continue
        r = first_read.pop(key, None)
        if r is None:
            continue
        others = [j for j in range(r + 1, i) if events[j].kind == "write" and events[j].label == e.label
                  and events[j].tid != e.tid]
        if not others:
            continue
        other_write = events[others[-1]]
        other_reads = [j for j in range(others[-1] - 1, -1, -1) if events[j].kind == "read"
                       and events[j].label == e.label and events[j].tid == other_write.tid]
        chosen = [events[r]] + ([events[other_reads[0]]] if other_reads else []) + [other_write, e]
        msg = Msg("出错的几步：\n", "The steps that went wrong:\n")
        for n, step in enumerate(chosen, 1):
            msg = msg + Msg.same(f"  {n}. ") + _step(step) + Msg.same("\n")
        return msg + Msg(f"{e.task} 写回的值是根据它之前读到的 {e.label} 算出来的，"
                         f"而 {other_write.task} 在这期间已经改了 {e.label}：{other_write.task} 的修改丢失了。"
                         "读和写必须在同一个临界区里（同一次加锁内）。",
                         f"{e.task} wrote a value computed from the {e.label} it had read before, but "
                         f"{other_write.task} changed {e.label} in between: {other_write.task}'s update is lost. "
                         "The read and the write must be in one critical section (under one acquisition of the lock).")
    return None


def inversion(edges: list[tuple]) -> Msg | None:
    """Two threads that took the same two locks in opposite orders (even if this time nothing deadlocked)."""
    for a, b, task_ab, a_at, b_at in edges:
        for c, d, task_cd, c_at, d_at in edges:
            if c is b and d is a and task_cd != task_ab:
                la, lb = _label(a), _label(b)
                return Msg(
                    f"锁的顺序相反：{task_ab} 先拿 {la}（{where(a_at).zh}）再拿 {lb}（{where(b_at).zh}），"
                    f"而 {task_cd} 先拿 {lb}（{where(c_at).zh}）再拿 {la}（{where(d_at).zh}）。"
                    "如果两个线程各自刚拿到第一把锁，它们就会永远互相等待（死锁），哪怕这次运行碰巧没有发生。",
                    f"Opposite lock order: {task_ab} takes {la} ({where(a_at).en}) and then {lb} ({where(b_at).en}), "
                    f"while {task_cd} takes {lb} ({where(c_at).en}) and then {la} ({where(d_at).en}). If each "
                    "thread has just taken its first lock, they wait for each other forever (a deadlock), even "
                    "though this run happened not to.")
    return None


def schedule_note(spec: str) -> Msg:
    return Msg(f"\n（调度 {spec}：用 `python -m autograder grade ... --schedule {spec}` 可以重现同样的交错。）",
               f"\n(Schedule {spec}: `python -m autograder grade ... --schedule {spec}` replays the same interleaving.)")
