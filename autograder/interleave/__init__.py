"""A deterministic checker for races and deadlocks in the student's threads.

How a scheduled check flows::

    student's file ──rewrite.instrument──▶ code with scheduling points
          │                                     │
          └──loader.load_instrumented───────────┘ (own __import__: kit threading/time/queue)
                                                │
    check ──explore(scenario, verify)──▶ for each schedule in SCHEDULES:
                                           scheduler.run_scenario(strategy, scenario)
                                             one thread runs at a time; strategy picks
                                             who runs at each point; virtual time
                                           └─▶ Outcome (value, trace, deadlock, lock edges)
                                         judge(outcome) ──explain──▶ CheckFailed(message + schedule)

Every schedule is a pure function of the student's source and its seed, so a
verdict is the same on every Python version, on every machine, under any load.
"""

from autograder.interleave.explore import SCHEDULES, Outcome, explore, in_threads
from autograder.interleave.scheduler import current_task

__all__ = ["SCHEDULES", "Outcome", "current_task", "explore", "in_threads"]
