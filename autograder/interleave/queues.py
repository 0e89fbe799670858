"""The kit's ``queue`` module, watched: what every queue saw in a run, and producers that are slow.

:func:`autograder.interleave.primitives.install_shims` runs the standard library's own
pure-Python ``queue`` source again on the kit's primitives; :func:`watch_module` then wraps
the methods of that fresh copy's ``Queue`` (and so ``LifoQueue``, ``PriorityQueue`` and any
subclass the student writes) and of ``SimpleQueue``:

* every ``put``, ``get``, ``task_done``, ``join`` and poll (``qsize``, ``empty``, ``full``, a
  ``get`` that raised ``queue.Empty``) made inside a controlled run is logged, with the
  thread and the student's line, in a :class:`QueueWatch` the run keeps (``run.queues``);
* the queue's conditions are tagged, so a thread blocked in one reads, in a deadlock report,
  as "blocked in q.get() on an empty queue" or "waits in q.join() for 2 unfinished tasks"
  (:class:`QueueWait`, a snapshot taken when the deadlock forms);
* with ``run.producer_time`` set, a ``put`` from any thread but the caller's first takes that
  many virtual seconds (making the item), and, if a consumer is waiting in ``get(timeout=...)``
  on that queue, until that timeout has run out. Virtual time only moves when no thread can
  run, so every consumer looks at the queue before each item arrives: a consumer that stops on
  an empty queue, on ``queue.Empty`` from a timeout, or on a sentinel sent before the producers
  finished, loses items in every schedule. The same schedule gives the same run: no clock is read.

Outside a controlled run the wrappers only call through.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from autograder.interleave.scheduler import Run, Task, Where, current_task, student_where

ROOT_TID = 0  # the caller's task: the thread the scenario runs in


@dataclass(frozen=True)
class QueueOp:
    """One operation on a queue, in the order the run made them."""

    kind: str  # put | get | empty (get raised Empty) | full (put raised Full) | task_done | join | joined | poll
    task: str  # the thread's name
    tid: int
    item: Any = None  # put/get: the item; task_done: the item it settled; poll: the answer
    where: Where | None = None
    step: int = 0
    detail: Any = None  # get/empty: the timeout (None: no timeout, "nowait"); poll: the method name


@dataclass(frozen=True)
class Owed:
    """An item taken with ``get()`` whose ``task_done()`` has not come yet."""

    item: Any
    task: str
    where: Where | None


@dataclass
class QueueWatch:
    """What one queue saw during one run."""

    queue: Any
    label: str
    made: Where | None
    maxsize: int = 0
    ops: list[QueueOp] = field(default_factory=list)
    owed: list[Owed] = field(default_factory=list)  # in the order the items were taken
    most: int = 0  # the most items it ever held

    def add(self, task: Task, kind: str, item: Any = None, where: Where | None = None, detail: Any = None) -> QueueOp:
        op = QueueOp(kind, task.name, task.tid, item, where, task.run.steps, detail)
        self.ops.append(op)
        return op

    def of(self, *kinds: str) -> list[QueueOp]:
        return [op for op in self.ops if op.kind in kinds]


@dataclass(frozen=True)
class QueueWait:
    """A thread blocked on a queue, as it was when a deadlock formed."""

    label: str
    role: str  # get | put | join
    qsize: int
    maxsize: int
    unfinished: int
    owed: tuple[Owed, ...]
    made: Where | None


def queue_label(q: Any) -> str:
    """How reports name a queue: the student's variable (``q``, ``self.q``), else where it was made."""
    from autograder.interleave.primitives import MODULE_GLOBALS, _label_from_line

    for mod in MODULE_GLOBALS:
        for name, value in mod.items():
            if value is q and not name.startswith("__"):
                return name
    made = getattr(q, "_kit_made", None)
    label = _label_from_line(made)
    if label:
        return label
    if made is not None:
        return f"the queue made at line {made.lineno}"
    return "the queue"


def watch(q: Any, run: Run) -> QueueWatch:
    """The queue's watch for ``run`` (a new one the first time the queue is used in it)."""
    w = q.__dict__.get("_kit_watch")
    if w is None or q.__dict__.get("_kit_run") is not run:
        w = QueueWatch(q, queue_label(q), q.__dict__.get("_kit_made"), getattr(q, "maxsize", 0) or 0)
        q._kit_watch, q._kit_run = w, run
        run.queues.append(w)
    return w


def _size(q: Any) -> int:
    return q._qsize() if hasattr(q, "_qsize") else len(getattr(q, "_queue", ()))


def _tag(q: Any, primitive: Any, role: str) -> None:
    """Mark one of the queue's conditions (or SimpleQueue's semaphore) as "waiting in get/put/join"."""
    primitive._kit_queue, primitive._kit_role = q, role
    primitive.kit_wait_detail = functools.partial(_detail, q, role)


def _detail(q: Any, role: str) -> QueueWait:
    w = q.__dict__.get("_kit_watch")
    return QueueWait(queue_label(q), role, _size(q), getattr(q, "maxsize", 0) or 0,
                     getattr(q, "unfinished_tasks", 0), tuple(w.owed) if w else (), q.__dict__.get("_kit_made"))


def _producer_pause(q: Any, task: Task, where: Where | None) -> None:
    """Before a put from a thread other than the caller's: the item takes a while to make."""
    run = task.run
    pause = run.producer_time
    if pause <= 0 or task.tid == ROOT_TID:
        return
    run.block(task, None, "sleep", pause, where)
    timed = [t.deadline for t in run.tasks if t.state == "blocked" and t.deadline is not None
             and getattr(t.waiting_on, "_kit_queue", None) is q and getattr(t.waiting_on, "_kit_role", "") == "get"]
    if timed:  # a consumer waits with a timeout: the item comes only after it has run out
        run.block(task, None, "sleep", max(timed) - run.vtime + pause, where)


def _settle(w: QueueWatch, task: Task) -> Any:
    """The item a ``task_done()`` call settles: the oldest one this thread took, else the oldest of all."""
    for i, owed in enumerate(w.owed):
        if owed.task == task.name:
            return w.owed.pop(i).item
    return w.owed.pop(0).item if w.owed else None


def _put_and_get(put: Any, get: Any, Empty: Any, Full: Any, *, owes: bool) -> tuple[Any, Any]:  # noqa: N803
    """``put`` and ``get`` that log to the run's watch (and pause producers); ``owes``: a get leaves
    an item whose ``task_done()`` is owed (``Queue``, not ``SimpleQueue``)."""

    def kit_put(self: Any, item: Any, block: bool = True, timeout: float | None = None) -> None:
        task = current_task()
        if task is None:
            return put(self, item, block, timeout)
        where = student_where(2)
        w = watch(self, task.run)
        _producer_pause(self, task, where)
        try:
            put(self, item, block, timeout)
        except Full:
            w.add(task, "full", item, where)
            raise
        w.add(task, "put", item, where)
        w.most = max(w.most, _size(self))
        return None

    def kit_get(self: Any, block: bool = True, timeout: float | None = None) -> Any:
        task = current_task()
        if task is None:
            return get(self, block, timeout)
        where = student_where(2)
        w = watch(self, task.run)
        how = "nowait" if not block else timeout
        try:
            item = get(self, block, timeout)
        except Empty:
            w.add(task, "empty", None, where, how)
            raise
        w.add(task, "get", item, where, how)
        if owes:
            w.owed.append(Owed(item, task.name, where))
        return item

    return kit_put, kit_get


def watch_module(mod: Any) -> None:
    """Wrap the queue classes of a fresh copy of the ``queue`` module (see the module docstring)."""
    Empty, Full = mod.Empty, mod.Full  # noqa: N806 - the module's own names
    cls = mod.Queue
    init, put, get, task_done, join = cls.__init__, cls.put, cls.get, cls.task_done, cls.join

    def __init__(self: Any, maxsize: int = 0) -> None:  # noqa: N807
        init(self, maxsize)
        self._kit_made = student_where(2)
        _tag(self, self.not_empty, "get")
        _tag(self, self.not_full, "put")
        _tag(self, self.all_tasks_done, "join")

    kit_put, kit_get = _put_and_get(put, get, Empty, Full, owes=True)

    def kit_task_done(self: Any) -> None:
        task = current_task()
        if task is None:
            return task_done(self)
        where = student_where(2)
        w = watch(self, task.run)
        task_done(self)  # raises ValueError when called more often than items were put
        w.add(task, "task_done", _settle(w, task), where)
        return None

    def kit_join(self: Any) -> None:
        task = current_task()
        if task is None:
            return join(self)
        where = student_where(2)
        w = watch(self, task.run)
        w.add(task, "join", None, where, getattr(self, "unfinished_tasks", 0))
        join(self)
        w.add(task, "joined", None, where)
        return None

    def poller(name: str) -> Any:
        original = getattr(cls, name)

        def poll(self: Any) -> Any:
            answer = original(self)
            task = current_task()
            if task is not None:
                watch(self, task.run).add(task, "poll", answer, student_where(2), name)
            return answer

        poll.__name__ = name
        return poll

    cls.__init__ = __init__
    cls.put, cls.get, cls.task_done, cls.join = kit_put, kit_get, kit_task_done, kit_join
    for name in ("qsize", "empty", "full"):
        setattr(cls, name, poller(name))
    _watch_simple(mod._PySimpleQueue, Empty, Full)


def _watch_simple(cls: Any, Empty: Any, Full: Any) -> None:  # noqa: N803
    """The same for ``SimpleQueue`` (no task_done/join; its get waits on a semaphore)."""
    init, put, get = cls.__init__, cls.put, cls.get

    def __init__(self: Any) -> None:  # noqa: N807
        init(self)
        self._kit_made = student_where(2)
        _tag(self, self._count, "get")

    kit_put, kit_get = _put_and_get(put, get, Empty, Full, owes=False)

    cls.__init__ = __init__
    cls.put, cls.get = kit_put, kit_get
