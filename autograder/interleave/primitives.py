"""Scheduler-aware stand-ins for ``threading``, ``time`` and ``queue``, as the student's module sees them.

Each class behaves exactly like its ``threading`` namesake when no controlled run
is active (a module imported this way still works at import time and in plain
calls). Inside a run, every operation is a scheduling point, blocking is
reported to the scheduler instead of performed, and each lock remembers who
holds it and where it was taken, which is what a deadlock report is made of.

Only the student's module gets these (through its own ``__import__``); the
grader and the standard library keep the real ``threading``.
"""

from __future__ import annotations

import _thread
import linecache
import queue as _real_queue
import re
import sys
import threading as _real_threading
import time as _real_time
import types
from typing import Any

from autograder.interleave import queues, scheduler
from autograder.interleave.scheduler import Abort, Task, Where, current_task, student_where

_ASSIGNED = re.compile(r"^\s*([A-Za-z_][\w.]*(?:\[[^\]]*\])?)\s*(?::[^=]*)?=[^=]")


def _label_from_line(where: Where | None) -> str | None:
    if where is None:
        return None
    m = _ASSIGNED.match(linecache.getline(where.filename, where.lineno))
    return m.group(1) if m else None


class _Sync:
    """What every kit primitive shares: its per-run state and how it is named in reports."""

    kind = "primitive"

    def __init__(self) -> None:
        self._made = student_where(2)  # where the student made it: names it in reports
        self._run: Any = None

    def _fresh(self, run: Any) -> None:
        """Reset the per-run state when first used in a new run (an aborted run may leave it held)."""
        if self._run is not run:
            self._run = run
            self._reset()

    def _reset(self) -> None:
        pass

    def kit_label(self) -> str:
        for mod in MODULE_GLOBALS:
            for name, value in mod.items():
                if value is self and not name.startswith("__"):
                    return name
        label = _label_from_line(self._made)
        if label:
            return label
        if self._made is not None:
            return f"the {self.kind} made at line {self._made.lineno}"
        return f"a {self.kind}"


MODULE_GLOBALS: list[dict] = []  # the instrumented student modules' namespaces (for naming locks)


class Lock(_Sync):
    kind = "Lock"
    reentrant = False

    def __init__(self) -> None:
        super().__init__()
        self._real = _thread.allocate_lock() if not self.reentrant else _real_threading.RLock()
        self._owner: Task | None = None
        self._count = 0
        self._taken_at: Where | None = None

    def _reset(self) -> None:
        self._owner, self._count, self._taken_at = None, 0, None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        task = current_task()
        if task is None:
            return self._real.acquire(blocking, timeout)
        run = task.run
        self._fresh(run)
        where = student_where(2)
        run.point(task)
        if self.reentrant and self._owner is task:
            self._count += 1
            return True
        timed = not blocking or timeout >= 0
        if not timed:  # lock-order edges: only untimed waits can close a deadlock cycle
            for held in task.held:
                if held is not self:
                    run.lock_edges.append((held, self, task.name, held._taken_at, where))
        while self._owner is not None:
            if not blocking:
                return False
            ok = run.block(task, self, "acquire", timeout if timed else None, where)
            if not ok and self._owner is not None:
                return False
        self._owner, self._count, self._taken_at = task, 1, where
        task.held.append(self)
        task.took_lock = True
        run.note("acquire", self.kit_label(), None, where)
        return True

    def release(self) -> None:
        task = current_task()
        if task is None:
            self._real.release()
            return
        run = task.run
        if run.aborting:
            return  # the run is being unwound: its state is thrown away
        self._fresh(run)
        if self._owner is None:
            raise RuntimeError("release unlocked lock")
        if self.reentrant:
            if self._owner is not task:
                raise RuntimeError("cannot release un-acquired lock")
            self._count -= 1
            if self._count:
                return
        owner = self._owner
        self._owner, self._count = None, 0
        if self in owner.held:
            owner.held.remove(self)
        run.note("release", self.kit_label(), None, student_where(2))
        for waiter in run.waiters(self):
            run.wake(waiter)
        run.point(task)

    def locked(self) -> bool:
        task = current_task()
        if task is None:
            if self.reentrant:
                return self._real._is_owned() if hasattr(self._real, "_is_owned") else False
            return self._real.locked()
        self._fresh(task.run)
        return self._owner is not None

    def held_by_current(self) -> bool:
        """For checks: does the calling thread (task) hold this lock?"""
        task = current_task()
        if task is None:
            return False
        self._fresh(task.run)
        return self._owner is task

    # Condition support (the same names as CPython's RLock, so the real Condition works with us)
    def _is_owned(self) -> bool:
        task = current_task()
        if task is None:
            if self.reentrant:
                return self._real._is_owned()
            if self._real.acquire(False):
                self._real.release()
                return False
            return True
        self._fresh(task.run)
        return self._owner is task

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<kit {self.kind} {self.kit_label()}>"


class RLock(Lock):
    kind = "RLock"
    reentrant = True

    def _release_save(self) -> Any:
        task = current_task()
        if task is None:
            return self._real._release_save()
        count = self._count
        self._count = 1
        self.release()
        return count

    def _acquire_restore(self, state: Any) -> None:
        task = current_task()
        if task is None:
            self._real._acquire_restore(state)
            return
        self.acquire()
        self._count = state


class Semaphore(_Sync):
    kind = "Semaphore"

    def __init__(self, value: int = 1) -> None:
        super().__init__()
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self._initial = value
        self._real = _real_threading.Semaphore(value)
        self._value = value

    def _reset(self) -> None:
        self._value = self._initial

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        task = current_task()
        if task is None:
            return self._real.acquire(blocking, timeout)
        self._fresh(task.run)
        where = student_where(2)
        task.run.point(task)
        while self._value == 0:
            if not blocking:
                return False
            if not task.run.block(task, self, "acquire", timeout, where) and self._value == 0:
                return False
        self._value -= 1
        return True

    __enter__ = acquire

    def release(self, n: int = 1) -> None:
        task = current_task()
        if task is None:
            self._real.release(n)
            return
        self._fresh(task.run)
        self._check_release(n)
        self._value += n
        for waiter in task.run.waiters(self):
            task.run.wake(waiter)
        task.run.point(task)

    def _check_release(self, n: int) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        self.release()


class BoundedSemaphore(Semaphore):
    kind = "BoundedSemaphore"

    def __init__(self, value: int = 1) -> None:
        super().__init__(value)
        self._real = _real_threading.BoundedSemaphore(value)

    def _check_release(self, n: int) -> None:
        if self._value + n > self._initial:
            raise ValueError("Semaphore released too many times")


class Event(_Sync):
    kind = "Event"

    def __init__(self) -> None:
        super().__init__()
        self._real = _real_threading.Event()
        self._flag = False

    def _reset(self) -> None:
        self._flag = self._real.is_set()

    def is_set(self) -> bool:
        task = current_task()
        if task is None:
            return self._real.is_set()
        self._fresh(task.run)
        task.run.point(task)
        return self._flag

    isSet = is_set  # noqa: N815 - the old threading name

    def set(self) -> None:
        task = current_task()
        if task is None:
            self._real.set()
            return
        self._fresh(task.run)
        self._flag = True
        for waiter in task.run.waiters(self):
            task.run.wake(waiter)
        task.run.point(task)

    def clear(self) -> None:
        task = current_task()
        if task is None:
            self._real.clear()
            return
        self._fresh(task.run)
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        task = current_task()
        if task is None:
            return self._real.wait(timeout)
        self._fresh(task.run)
        where = student_where(2)
        task.run.point(task)
        if not self._flag:
            task.run.block(task, self, "wait", timeout, where)
        return self._flag


class Condition(_Sync):
    kind = "Condition"

    def __init__(self, lock: Any = None) -> None:
        super().__init__()
        self._lock = lock if lock is not None else RLock()
        self._real = _real_threading.Condition(self._lock)
        self._waiting: list[Task] = []
        self._notified: set[int] = set()

    def _reset(self) -> None:
        self._waiting, self._notified = [], set()

    def __enter__(self) -> bool:
        return self._lock.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._lock.__exit__(*exc)

    def acquire(self, *args: Any) -> bool:
        return self._lock.acquire(*args)

    def release(self) -> None:
        self._lock.release()

    def wait(self, timeout: float | None = None) -> bool:
        task = current_task()
        if task is None:
            return self._real.wait(timeout)
        run = task.run
        self._fresh(run)
        if not self._lock._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        where = student_where(2)
        # A waiter before the lock is released (as threading does): releasing is a scheduling point,
        # and a notify made by another thread in that window must not be lost.
        self._waiting.append(task)
        saved = None
        try:
            saved = self._lock._release_save() if hasattr(self._lock, "_release_save") else self._lock.release()
            notified = task.tid in self._notified \
                or (run.block(task, self, "wait", timeout, where) and task.tid in self._notified)
        finally:
            if task in self._waiting:
                self._waiting.remove(task)
            self._notified.discard(task.tid)
            if not run.aborting:
                if hasattr(self._lock, "_acquire_restore"):
                    self._lock._acquire_restore(saved)
                else:
                    self._lock.acquire()
        return notified

    def wait_for(self, predicate: Any, timeout: float | None = None) -> Any:
        task = current_task()
        if task is None:
            return self._real.wait_for(predicate, timeout)
        endtime = None
        waittime = timeout
        result = predicate()
        while not result:
            if waittime is not None:
                if endtime is None:
                    endtime = task.run.vtime + waittime
                else:
                    waittime = endtime - task.run.vtime
                    if waittime <= 0:
                        break
            self.wait(waittime)
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        task = current_task()
        if task is None:
            self._real.notify(n)
            return
        self._fresh(task.run)
        if not self._lock._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        for waiter in [w for w in self._waiting if w.tid not in self._notified][:n]:
            self._notified.add(waiter.tid)
            task.run.wake(waiter)

    def notify_all(self) -> None:
        self.notify(sys.maxsize)

    notifyAll = notify_all  # noqa: N815


class Thread(_real_threading.Thread):
    """A real thread that, started inside a controlled run, runs only when scheduled."""

    def __init__(self, group: Any = None, target: Any = None, name: str | None = None, args: Any = (),
                 kwargs: Any = None, *, daemon: bool | None = None) -> None:
        run = scheduler.active()
        if name is None and run is not None and current_task() is not None:
            name = run.next_thread_name(target)
        super().__init__(group, target, name, args, kwargs, daemon=daemon)
        self._kit_task: Task | None = None

    def start(self) -> None:
        parent = current_task()
        if parent is None:
            super().start()
            return
        run = parent.run
        where = student_where(2)
        run.point(parent)
        task = run.add_task(self)
        self._kit_task = task
        user_run = self.run

        def scheduled_run() -> None:
            scheduler._local.task = task
            try:
                run.wait_turn(task)
                user_run()
            except Abort:
                pass
            except BaseException as exc:  # noqa: BLE001 - reported by the explorer
                task.error = exc
            finally:
                run.finish_task(task)

        self.run = scheduled_run  # type: ignore[method-assign]
        super().start()
        run.note("start", self.name, None, where)
        run.point(parent)

    def join(self, timeout: float | None = None) -> None:
        me = current_task()
        task = self._kit_task
        if me is None or task is None or task.run is not me.run:
            super().join(timeout)
            return
        where = student_where(2)
        me.run.point(me)
        if task is me:
            raise RuntimeError("cannot join current thread")
        if task.state != "done":
            me.run.block(me, task, "join", timeout, where)

    def is_alive(self) -> bool:
        me = current_task()
        task = self._kit_task
        if me is None or task is None or task.run is not me.run:
            return super().is_alive()
        me.run.point(me)
        return task.state != "done"


class Timer(Thread):
    """``threading.Timer`` on kit primitives (its wait is virtual inside a run)."""

    def __init__(self, interval: float, function: Any, args: Any = None, kwargs: Any = None) -> None:
        super().__init__()
        self.interval, self.function = interval, function
        self.args, self.kwargs = args if args is not None else [], kwargs if kwargs is not None else {}
        self.finished = Event()

    def cancel(self) -> None:
        self.finished.set()

    def run(self) -> None:
        self.finished.wait(self.interval)
        if not self.finished.is_set():
            self.function(*self.args, **self.kwargs)
        self.finished.set()


def sleep(seconds: float) -> None:
    task = current_task()
    if task is None:
        _real_time.sleep(seconds)
        return
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    where = student_where(2)
    task.run.point(task)
    if seconds > 0:
        task.run.block(task, None, "sleep", seconds, where)


_T0 = _real_time.time()
_M0 = _real_time.monotonic()
_P0 = _real_time.perf_counter()


def _clock(real: Any, base: float) -> Any:
    def clock() -> float:
        task = current_task()
        if task is None:
            return real()
        return base + task.run.vtime

    clock.__name__ = real.__name__
    return clock


def _make_threading() -> types.ModuleType:
    mod = types.ModuleType("threading", _real_threading.__doc__)
    mod.__dict__.update({k: v for k, v in vars(_real_threading).items() if not k.startswith("__")})
    mod.__dict__.update(Thread=Thread, Timer=Timer, Lock=Lock, RLock=RLock, Semaphore=Semaphore,
                        BoundedSemaphore=BoundedSemaphore, Event=Event, Condition=Condition)
    mod.__kit__ = True
    return mod


def _make_time() -> types.ModuleType:
    mod = types.ModuleType("time", _real_time.__doc__)
    mod.__dict__.update({k: v for k, v in vars(_real_time).items() if not k.startswith("__")})
    mod.__dict__.update(sleep=sleep, time=_clock(_real_time.time, _T0),
                        monotonic=_clock(_real_time.monotonic, _M0),
                        perf_counter=_clock(_real_time.perf_counter, _P0))
    mod.__kit__ = True
    return mod


def _make_queue(kit_builtins: dict) -> types.ModuleType:
    """The standard library's pure-Python ``queue``, run again on kit primitives."""
    mod = types.ModuleType("queue", _real_queue.__doc__)
    mod.__dict__["__builtins__"] = kit_builtins
    mod.__dict__["__name__"] = "queue"
    source = _real_queue.__loader__.get_source("queue")  # type: ignore[union-attr]
    exec(compile(source, _real_queue.__file__ or "queue.py", "exec"), mod.__dict__)  # noqa: S102
    mod.SimpleQueue = mod._PySimpleQueue  # the C SimpleQueue blocks where the scheduler cannot see
    queues.watch_module(mod)  # log what each queue sees; name queue waits in deadlock reports
    mod.__kit__ = True
    return mod


def install_shims(shims: dict[str, types.ModuleType], kit_builtins: dict) -> None:
    """Fill ``shims`` (what ``kit_builtins``' ``__import__`` serves) with the kit's modules.

    ``queue`` comes last: its source imports ``threading`` through ``kit_builtins``, so the
    kit's ``threading`` must already be in ``shims``.
    """
    shims["threading"] = _make_threading()
    shims["time"] = _make_time()
    shims["queue"] = _make_queue(kit_builtins)
