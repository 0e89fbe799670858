"""Run a scenario under a fixed list of schedules; the first one that goes wrong is the verdict.

A check is "fails if any schedule in the list fails", and every schedule is
deterministic, so the verdict is the same on every grading. Setting
``KIT_SCHEDULE`` (the CLI's ``--schedule``) runs one schedule only: the replay of
a reported failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from autograder.checks import CheckFailed
from autograder.i18n import Msg
from autograder.interleave import explain
from autograder.interleave.scheduler import DEFAULT_MAX_STEPS, Run, run_scenario, strategy_from_spec

# Round robin at several quanta, switch-after-each-lock, PCT at depths 2 and 3, and uniform
# random choices: 20 schedules.
SCHEDULES: tuple[str, ...] = (
    "rr:1", "acq", "rr:2", "rr:3",
    "pct:2:1", "pct:2:2", "pct:2:3", "pct:3:4", "pct:3:5", "pct:3:6",
    *(f"random:{seed}" for seed in range(1, 11)),
)


def replay_schedule() -> str | None:
    return os.environ.get("KIT_SCHEDULE") or None


@dataclass
class Outcome:
    """One schedule's run of the scenario."""

    schedule: str
    value: Any
    error: BaseException | None
    run: Run
    problem: Msg | None = None
    extra: dict = field(default_factory=dict)

    @property
    def leftover(self) -> list[str]:
        return list(self.run.leftover)

    @property
    def leftover_non_daemon(self) -> list[str]:
        """The threads left running that are not daemon threads (they would keep a program alive)."""
        return [t.name for t in self.run.left if not t.daemon]

    @property
    def queues(self) -> list:
        """What each kit queue saw in this run (:class:`autograder.interleave.queues.QueueWatch`)."""
        return list(self.run.queues)

    @property
    def thread_errors(self) -> list[tuple[str, BaseException]]:
        return [(t.name, t.error) for t in self.run.tasks if t.error is not None]


def _error_msg(who: str, exc: BaseException) -> Msg:
    from autograder import child
    from autograder.stacks import describe_exception

    if child.LOCATOR is not None:
        detail = describe_exception(exc, exc.__traceback__, child.LOCATOR)
    else:
        detail = Msg.same(f"{type(exc).__name__}: {exc}")
    return Msg(f"{who} 抛出了异常：", f"{who} raised an exception: ") + detail


def judge(outcome: Outcome, verify: Callable[[Outcome], Msg | None] | None,
          ignore_errors: tuple[type[BaseException], ...] = (),
          context: Callable[[Outcome], Msg | None] | None = None) -> Msg | None:
    """What went wrong in one run, or None.

    A thread that ended with one of ``ignore_errors`` (an exception the check itself raised
    in a callback, on purpose) is not a failure. ``context(outcome)`` may add what the check
    knows to a deadlock, a run out of steps or an exception (the sentinels sent, ...).
    """
    run = outcome.run

    def with_context(msg: Msg) -> Msg:
        extra = context(outcome) if context is not None else None
        return msg + Msg.same("\n") + extra if extra is not None else msg

    if run.failure == "deadlock":
        return with_context(explain.deadlock(run))
    if run.failure == "steps":
        return with_context(explain.not_finishing(run))
    errors = [(name, exc) for name, exc in outcome.thread_errors if not isinstance(exc, ignore_errors)]
    if errors:
        name, exc = errors[0]
        return with_context(_error_msg(name, exc))
    if outcome.error is not None:
        if isinstance(outcome.error, CheckFailed):
            return outcome.error.msg
        return _error_msg(run.tasks[0].name, outcome.error)
    if verify is not None:
        problem = verify(outcome)
        if problem is not None:
            story = explain.stale_write(run)
            return problem + (Msg.same("\n") + story if story is not None else Msg("", ""))
    return None


def explore(scenario: Callable[[], Any], *, verify: Callable[[Outcome], Msg | None] | None = None,
            schedules: tuple[str, ...] | list[str] = SCHEDULES, lock_order: bool = True,
            max_steps: int = DEFAULT_MAX_STEPS, producer_time: float = 0.0,
            ignore_errors: tuple[type[BaseException], ...] = (),
            context: Callable[[Outcome], Msg | None] | None = None) -> list[Outcome]:
    """Run ``scenario`` once per schedule and fail the check at the first one that goes wrong.

    ``verify(outcome)`` returns a message when the result is wrong. A deadlock,
    a run that does not finish, an exception in any thread, and (``lock_order``)
    two threads taking the same locks in opposite orders in any run all fail
    the check with their explanation and the schedule that shows them.

    ``producer_time`` (virtual seconds) makes every kit-queue ``put`` from a thread other
    than the caller's slow (see :mod:`autograder.interleave.queues`); ``ignore_errors`` and
    ``context`` are passed to :func:`judge`.
    """
    only = replay_schedule()
    chosen = [only] if only else list(schedules)
    outcomes: list[Outcome] = []
    edges: list[tuple] = []
    inverted: tuple[Msg, str] | None = None
    horizon = 0  # PCT spreads its priority changes over the length of a run: learnt from the first one
    for spec in chosen:
        strategy = strategy_from_spec(spec, horizon or 100)
        replay = strategy.spec  # what --schedule needs to run this very schedule again (pct: with its horizon)
        run, value, error = run_scenario(strategy, scenario, max_steps=max_steps,
                                         on_start=lambda r: setattr(r, "producer_time", producer_time))
        horizon = horizon or max(run.steps, 4)
        outcome = Outcome(spec, value, error, run)
        outcomes.append(outcome)
        outcome.problem = judge(outcome, verify, ignore_errors, context)
        if outcome.problem is not None:
            raise CheckFailed(outcome.problem + explain.schedule_note(replay))
        edges.extend(run.lock_edges)
        if lock_order and inverted is None:
            found = explain.inversion(edges)
            if found is not None:  # keep looking: a deadlock that really formed says more
                inverted = (found, replay)
    if inverted is not None:
        raise CheckFailed(inverted[0] + explain.schedule_note(inverted[1]))
    return outcomes


def in_threads(*calls: tuple[str, Callable[[], Any]]) -> None:
    """Inside a scenario: run each ``(name, func)`` in its own scheduled thread, start all, join all."""
    from autograder.interleave.primitives import Thread

    threads = [Thread(target=func, name=name) for name, func in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
