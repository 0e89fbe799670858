"""The course's problem sets and exercises: the one metadata file for all of them.

Names here are the graded contract of ``COURSE.md``; the content of each problem
set (text, skeleton, solution, tests) lives in ``autograder/problemsets/<id>/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.i18n import Msg

PROBLEMSETS_DIR = Path(__file__).parent / "problemsets"


@dataclass(frozen=True)
class Exercise:
    id: str  # the part of a test name after "psN."
    names: tuple[str, ...]  # what the student's module must define for it
    title: Msg
    points: float = 10.0


@dataclass(frozen=True)
class ProblemSet:
    id: str  # "ps1_threads"
    short: str  # "ps1", the prefix of test names
    module: str  # the student's module name, "threads"
    title: Msg
    exercises: tuple[Exercise, ...]
    check_timeout: float = 4.0  # seconds a single check may run before it counts as hung
    import_timeout: float = 5.0

    @property
    def folder(self) -> Path:
        return PROBLEMSETS_DIR / self.id

    @property
    def points(self) -> float:
        """The problem set's maximum score: its exercises' points."""
        return sum(ex.points for ex in self.exercises)

    @property
    def notebook_name(self) -> str:
        return f"{self.module}.ipynb"

    def exercise(self, exercise_id: str) -> Exercise:
        for ex in self.exercises:
            if ex.id == exercise_id:
                return ex
        raise KeyError(exercise_id)

    def exercise_for_name(self, name: str) -> Exercise | None:
        for ex in self.exercises:
            if name in ex.names:
                return ex
        return None


PROBLEM_SETS: dict[str, ProblemSet] = {
    ps.id: ps
    for ps in (
        ProblemSet(
            id="ps1_threads",
            short="ps1",
            module="threads",
            title=Msg("启动和等待线程", "Starting and joining threads"),
            check_timeout=6.0,
            exercises=(
                Exercise("run_low_level", ("run_low_level",),
                         Msg("用 _thread 启动并等待", "Start and wait with _thread")),
                Exercise("greet_all", ("greet_all",),
                         Msg("每个名字一个线程", "One thread per name")),
                Exercise("run_loops", ("run_loops",),
                         Msg("同时运行多个 loop", "Run the loops at the same time")),
                Exercise("SquareThread", ("SquareThread", "squares_in_threads"),
                         Msg("Thread 子类", "A Thread subclass")),
                Exercise("run_in_order", ("run_in_order",),
                         Msg("函数二等待函数一", "The second waits for the first")),
            ),
        ),
        ProblemSet(
            id="ps2_locks",
            short="ps2",
            module="locks",
            title=Msg("共享数据、锁和死锁", "Shared state, locks and deadlock"),
            check_timeout=8.0,
            exercises=(
                Exercise("add_and_subtract", ("add", "subtract", "add_and_subtract"),
                         Msg("加一减一，结果为零", "Add and subtract, ending at zero")),
                Exercise("Account", ("Account",),
                         Msg("线程安全的账户", "A thread-safe account")),
                Exercise("run_both", ("lock_1", "lock_2", "func_1", "func_2", "run_both"),
                         Msg("两把锁，不死锁", "Two locks, no deadlock")),
            ),
        ),
        ProblemSet(
            id="ps3_queues",
            short="ps3",
            module="queues",
            title=Msg("生产者和消费者：queue.Queue", "Producers and consumers with queue.Queue"),
            check_timeout=8.0,
            exercises=(
                Exercise("produce_and_consume", ("produce_and_consume",),
                         Msg("生产者、消费者和哨兵", "Producers, consumers and sentinels")),
                Exercise("process_all", ("process_all",),
                         Msg("task_done 和 join", "task_done and join")),
            ),
        ),
        ProblemSet(
            id="ps4_processes",
            short="ps4",
            module="processes",
            title=Msg("多进程：multiprocessing", "Processes with multiprocessing"),
            check_timeout=20.0,
            import_timeout=8.0,
            exercises=(
                Exercise("map_in_processes", ("map_in_processes",),
                         Msg("每个 item 一个进程", "One process per item")),
                Exercise("SquareProcess", ("SquareProcess", "squares_in_processes"),
                         Msg("Process 子类", "A Process subclass")),
                Exercise("consume_all", ("consume_all",),
                         Msg("JoinableQueue 和改进的哨兵", "JoinableQueue and the improved sentinel")),
            ),
        ),
        ProblemSet(
            id="ps5_executors",
            short="ps5",
            module="executors",
            title=Msg("线程替代方案：concurrent.futures 和 subprocess",
                      "Alternatives to threads: concurrent.futures and subprocess"),
            check_timeout=10.0,
            exercises=(
                Exercise("fetch_all", ("fetch_all",),
                         Msg("线程池并发获取", "Fetch concurrently with a thread pool")),
                Exercise("map_cpu", ("map_cpu",),
                         Msg("进程池做计算", "CPU work in a process pool")),
                Exercise("first_result", ("first_result",),
                         Msg("最先到达的结果", "The first result to arrive")),
                Exercise("run_command", ("run_command",),
                         Msg("不经过 shell 运行程序", "Run a program without a shell")),
            ),
        ),
    )
}


def get_problem_set(problem_set_id: str) -> ProblemSet:
    """The problem set by id ("ps1_threads") or short id ("ps1")."""
    for ps in PROBLEM_SETS.values():
        if problem_set_id in (ps.id, ps.short):
            return ps
    known = ", ".join(PROBLEM_SETS)
    raise KeyError(f"unknown problem set {problem_set_id!r} (known: {known})")
