"""One controlled run: the student's threads take turns, one at a time.

Every thread the student starts during a run is a real OS thread, but it only
runs while it holds the *baton*; it gives the baton away only at a scheduling
point (inserted into the student's source by :mod:`.rewrite`, and at every
operation on a kit primitive from :mod:`.primitives`). Which thread runs next is
the :class:`Strategy`'s choice, so a run is a pure function of the student's code
and the strategy's seed: the same on every Python version and under any load.

Blocking is modelled, not performed: a thread waiting for a lock, event, join or
``sleep`` is marked blocked and another one runs. Time is virtual: it advances by
one microsecond per step and jumps to the next timeout when every thread waits,
so ``sleep`` and ``acquire(timeout=...)`` cost nothing. When every thread waits
with no timeout, that is a deadlock, known at once and described from the
model's own state (who holds what, who waits for what, at which line).
"""

from __future__ import annotations

import _thread
import random
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STEP_TIME = 1e-6  # virtual seconds that one scheduling step takes
DEFAULT_MAX_STEPS = 200_000  # a run still going after this many steps is reported as not finishing
UNWIND_SECONDS = 2.0  # how long the root waits for aborted threads to unwind


class Abort(BaseException):  # noqa: N818 - a control-flow signal, like SystemExit
    """Raised inside the student's threads to unwind them when a run ends early."""


@dataclass
class Where:
    """A line of the student's file."""

    filename: str
    lineno: int
    func: str


@dataclass(eq=False)
class Task:
    """One thread of a run, as the scheduler sees it."""

    tid: int
    run: Run
    thread: threading.Thread
    go: Any = field(default_factory=_thread.allocate_lock)  # released when it is this task's turn
    state: str = "runnable"  # runnable | blocked | done
    waiting_on: Any = None  # the primitive (or Task, for join) it waits for
    wait_what: str = ""  # "acquire", "join", "wait", "sleep", ...
    wait_where: Where | None = None
    deadline: float | None = None
    timed_out: bool = False
    held: list = field(default_factory=list)  # kit locks held, in acquisition order
    started_step: int = 0
    ended_step: int | None = None
    error: BaseException | None = None
    last_run: int = -1  # the step at which it last got the baton
    took_lock: bool = False  # acquired a lock since it last got the baton

    def __post_init__(self) -> None:
        self.go.acquire()

    @property
    def name(self) -> str:
        return self.thread.name

    def __repr__(self) -> str:
        return f"<Task {self.tid} {self.name} {self.state}>"


@dataclass(frozen=True)
class Frozen:
    """A task as it was when a deadlock formed (unwinding changes the live ones)."""

    tid: int
    name: str
    state: str
    waiting_on: Any
    wait_what: str
    wait_where: Where | None
    held: tuple
    detail: Any = None  # what the primitive says about the wait (a queue: its size, unfinished tasks, ...)
    daemon: bool = False


def freeze(task: Task) -> Frozen:
    probe = getattr(task.waiting_on, "kit_wait_detail", None) if task.state == "blocked" else None
    return Frozen(task.tid, task.name, task.state, task.waiting_on, task.wait_what, task.wait_where,
                  tuple(task.held), probe() if callable(probe) else None, bool(task.thread.daemon))


@dataclass
class Event:
    """One step of the trace: what the student's code did, in order."""

    step: int
    task: str
    kind: str  # "read", "write", "acquire", "release", "switch", ...
    label: str = ""
    value: Any = None
    where: Where | None = None
    tid: int = -1


class Strategy:
    """Chooses which runnable task runs next. Subclasses are deterministic given their seed."""

    spec = "?"

    def begin(self, run: Run) -> None:
        pass

    def new_task(self, task: Task) -> None:
        pass

    def pick(self, run: Run, current: Task, runnable: list[Task]) -> Task:
        raise NotImplementedError


class RoundRobin(Strategy):
    """Switch to the next runnable task (by creation order) every ``quantum`` steps."""

    def __init__(self, quantum: int = 1):
        self.quantum = quantum
        self.spec = f"rr:{quantum}"
        self._left = quantum

    def begin(self, run: Run) -> None:
        self._left = self.quantum

    def pick(self, run: Run, current: Task, runnable: list[Task]) -> Task:
        if current in runnable:
            self._left -= 1
            if self._left > 0:
                return current
        self._left = self.quantum
        after = [t for t in runnable if t.tid > current.tid]
        return after[0] if after else runnable[0]


class RandomWalk(Strategy):
    """At each point, with probability ``p``, run a runnable task chosen at random (maybe the same)."""

    def __init__(self, seed: int, p: float = 1.0):
        self.seed, self.p = seed, p
        self.spec = f"random:{seed}"
        self.rng = random.Random(seed)

    def begin(self, run: Run) -> None:
        self.rng = random.Random(self.seed)

    def pick(self, run: Run, current: Task, runnable: list[Task]) -> Task:
        if current in runnable and self.rng.random() >= self.p:
            return current
        return runnable[self.rng.randrange(len(runnable))]


class PCT(Strategy):
    """Probabilistic concurrency testing (Burckhardt et al. 2010): random priorities, the
    running task always the highest one, and ``depth - 1`` priority drops at random steps."""

    def __init__(self, seed: int, depth: int = 3, horizon: int = 100):
        self.seed, self.depth, self.horizon = seed, depth, horizon
        self.spec = f"pct:{depth}:{seed}:{horizon}"  # the horizon shapes the run: a replay needs it

    def begin(self, run: Run) -> None:
        self.rng = random.Random(self.seed)
        self.priority: dict[int, float] = {}
        self.changes = sorted(self.rng.sample(range(1, max(self.horizon, self.depth + 1)), self.depth - 1))

    def new_task(self, task: Task) -> None:
        self.priority[task.tid] = float(self.depth) + self.rng.random()

    def pick(self, run: Run, current: Task, runnable: list[Task]) -> Task:
        if self.changes and run.steps >= self.changes[0]:
            self.changes.pop(0)
            self.priority[current.tid] = float(len(self.changes))  # below every initial priority
        return max(runnable, key=lambda t: (self.priority.get(t.tid, 0.0), -t.tid))


class AfterAcquire(Strategy):
    """Keep running a task until it has taken a lock, then run the one that waited longest.

    Aimed at deadlocks: every thread gets to take its first lock before any takes its second.
    """

    spec = "acq"

    def pick(self, run: Run, current: Task, runnable: list[Task]) -> Task:
        if current in runnable and not current.took_lock:
            return current
        others = [t for t in runnable if t is not current] or runnable
        return min(others, key=lambda t: (t.last_run, t.tid))


def strategy_from_spec(spec: str, horizon: int = 100) -> Strategy:
    """``rr:1``, ``random:7``, ``pct:3:11`` -> a fresh strategy. ``horizon`` is PCT's estimate of a
    run's length in steps (its priority changes fall inside it)."""
    kind, _, rest = spec.partition(":")
    args = [int(a) for a in rest.split(":") if a]
    if kind == "acq":
        return AfterAcquire()
    if kind == "rr":
        return RoundRobin(*(args or [1]))
    if kind == "random":
        return RandomWalk(*(args or [1]))
    if kind == "pct":
        depth, seed = (args + [3, 1])[:2] if len(args) < 2 else args[:2]
        return PCT(seed, depth, args[2] if len(args) > 2 else horizon)
    raise ValueError(f"unknown schedule {spec!r} (rr:N, random:SEED, pct:DEPTH:SEED[:HORIZON])")


_local = threading.local()
_ACTIVE: Run | None = None
STUDENT_FILES: set[str] = set()  # where scheduling points may report a line from


def active() -> Run | None:
    return _ACTIVE


def current_task() -> Task | None:
    """The task of the calling thread in the active run, or None (real, uncontrolled mode)."""
    task = getattr(_local, "task", None)
    if task is None or task.run is not _ACTIVE or task.state == "done":
        return None
    return task


def student_where(depth: int = 2) -> Where | None:
    """The innermost frame of the student's own file on the calling thread's stack."""
    frame = sys._getframe(depth)
    while frame is not None:
        if frame.f_code.co_filename in STUDENT_FILES:
            return Where(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return None


class Run:
    """The state of one controlled run of a scenario under one strategy."""

    def __init__(self, strategy: Strategy, max_steps: int = DEFAULT_MAX_STEPS):
        self.strategy = strategy
        self.max_steps = max_steps
        self.tasks: list[Task] = []
        self.current: Task | None = None
        self.steps = 0
        self.vtime = 0.0
        self.trace: list[Event] = []
        self.aborting = False
        self.failure: str | None = None  # "deadlock" | "steps"
        self.deadlock: list[Frozen] | None = None  # the tasks as they were when it formed
        self.lock_edges: list[tuple] = []  # (held, wanted, task name, where held, where wanted)
        self.thread_numbers = 0
        self.leftover: list[str] = []  # the threads still running when the scenario returned
        self.left: list[Frozen] = []  # the same, as they were then (daemon or not, where they waited)
        self.queues: list = []  # a QueueWatch per kit queue used in the run (autograder.interleave.queues)
        self.producer_time = 0.0  # virtual seconds a put from a thread other than the caller's takes
        self.unfinished: list[str] = []  # the tasks still running when the run was ended early
        self.last_step: tuple[str, Where | None] | None = None  # who was running where when steps ran out

    # ------------------------------------------------------------------ tasks
    def add_task(self, thread: threading.Thread) -> Task:
        task = Task(len(self.tasks), self, thread, started_step=self.steps)
        self.tasks.append(task)
        self.strategy.new_task(task)
        return task

    def next_thread_name(self, target: Any) -> str:
        self.thread_numbers += 1
        name = f"Thread-{self.thread_numbers}"
        fname = getattr(target, "__name__", None)
        return f"{name} ({fname})" if fname else name

    def note(self, kind: str, label: str = "", value: Any = None, where: Where | None = None) -> None:
        task = self.current
        self.trace.append(Event(self.steps, task.name if task else "?", kind, label, value, where,
                                task.tid if task else -1))

    # ------------------------------------------------------------- scheduling
    def point(self, task: Task) -> None:
        """A scheduling point in ``task`` (which is running): maybe let another task run."""
        if self.aborting:
            raise Abort
        self.steps += 1
        self.vtime += STEP_TIME
        if self.steps > self.max_steps:
            self.last_step = (task.name, student_where(2))
            self._abort("steps", task)
        self._dispatch(task)

    def block(self, task: Task, on: Any, what: str, timeout: float | None, where: Where | None) -> bool:
        """Mark ``task`` blocked on ``on`` until woken (True) or ``timeout`` virtual seconds pass (False)."""
        if self.aborting:
            raise Abort
        task.state, task.waiting_on, task.wait_what, task.wait_where = "blocked", on, what, where
        task.deadline = None if timeout is None else self.vtime + max(timeout, 0.0)
        task.timed_out = False
        self._dispatch(task)
        return not task.timed_out

    def wake(self, task: Task) -> None:
        if task.state == "blocked":
            task.state, task.waiting_on, task.deadline = "runnable", None, None

    def waiters(self, on: Any) -> list[Task]:
        return [t for t in self.tasks if t.state == "blocked" and t.waiting_on is on]

    def finish_task(self, task: Task) -> None:
        """``task``'s thread has ended: wake its joiners and hand the baton on without waiting."""
        task.state, task.ended_step = "done", self.steps
        for joiner in self.waiters(task):
            self.wake(joiner)
        if self.aborting:
            return
        try:
            self._dispatch(task)
        except Abort:
            pass

    def _expire_timeouts(self) -> None:
        for t in self.tasks:
            if t.state == "blocked" and t.deadline is not None and t.deadline <= self.vtime:
                t.timed_out = True
                self.wake(t)

    def _dispatch(self, cur: Task) -> None:
        self._expire_timeouts()
        while True:
            runnable = [t for t in self.tasks if t.state == "runnable"]
            if runnable:
                break
            timed = [t for t in self.tasks if t.state == "blocked" and t.deadline is not None]
            if not timed:
                self.deadlock = [freeze(t) for t in self.tasks if t.state != "done"]
                self._abort("deadlock", cur)
                return
            first = min(timed, key=lambda t: (t.deadline, t.tid))
            self.vtime = max(self.vtime, first.deadline)
            self._expire_timeouts()
        nxt = self.strategy.pick(self, cur, runnable)
        if nxt is cur:
            return
        cur.took_lock = False
        nxt.last_run, nxt.took_lock = self.steps, False
        self.current = nxt
        self.trace.append(Event(self.steps, nxt.name, "switch", tid=nxt.tid))
        nxt.go.release()
        if cur.state != "done":
            cur.go.acquire()
            if self.aborting:
                raise Abort

    def wait_turn(self, task: Task) -> None:
        """Called first thing in a new task's thread: wait until the scheduler picks it."""
        task.go.acquire()
        if self.aborting:
            raise Abort

    def _abort(self, why: str, cur: Task) -> None:
        """End the run: every task unwinds with :class:`Abort`."""
        if self.aborting:
            raise Abort
        self.failure = why
        self.aborting = True
        self.unfinished = [t.name for t in self.tasks if t.state != "done"]  # before they unwind
        for t in self.tasks:
            if t is not cur and t.state != "done":
                t.go.release()
        if cur.state != "done":
            raise Abort


def run_scenario(strategy: Strategy, scenario: Callable[[], Any], *, max_steps: int = DEFAULT_MAX_STEPS,
                 on_start: Callable[[Run], None] | None = None) -> tuple[Run, Any, BaseException | None]:
    """Run ``scenario()`` in the calling thread as the root task of a controlled run."""
    global _ACTIVE
    if _ACTIVE is not None:
        raise RuntimeError("a controlled run is already active")
    run = Run(strategy, max_steps)
    strategy.begin(run)
    root = run.add_task(threading.current_thread())
    root.go.release()  # the root starts with the baton
    root.go.acquire()
    run.current = root
    previous_task = getattr(_local, "task", None)
    _local.task = root
    random.seed(strategy.spec)  # the student's own random choices are part of the schedule
    value: Any = None
    error: BaseException | None = None
    _ACTIVE = run
    if on_start is not None:
        on_start(run)
    try:
        value = scenario()
    except Abort:
        pass
    except BaseException as exc:  # noqa: BLE001 - the scenario's exception is a result
        error = exc
    finally:
        leftover = [t for t in run.tasks if t is not root and t.state != "done"]
        run.leftover = [t.name for t in leftover]
        run.left = [freeze(t) for t in leftover]
        root.state = "done"
        if leftover and not run.aborting:
            run.aborting = True
            for t in leftover:
                t.go.release()
        for t in run.tasks[1:]:
            t.thread.join(UNWIND_SECONDS)
        _ACTIVE = None
        _local.task = previous_task
    return run, value, error
