"""Grade one submission: probe its import, run every check in a child, collect results.

    load_submission -> workdir/<module>.py -> probe child (import, which names exist)
        -> pytest session over content.py (visible tests) + test_hidden.py (hidden tests)
           each item = one child process (autograder.sandbox), run in parallel
        -> GradeResult (autograder.results)

Grading is stateless: everything lives in a fresh temporary folder that is
removed afterwards, so submissions can be graded side by side.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import autograder
from autograder.catalog import ProblemSet, get_problem_set
from autograder.content import ProblemSetContent, load_content
from autograder.i18n import Msg
from autograder.results import GradeResult, TestResult
from autograder.sandbox import ChildRun, run_child
from autograder.stacks import Locator, fault_stacks
from autograder.submission import Submission, load_submission

INI = Path(__file__).with_name("pytest_kit.ini")
# pytest sessions share process-wide state (stdout redirection, signal handlers, assertion
# rewriting hooks): one at a time per process. Grade in several processes to go wider.
_PYTEST_LOCK = threading.Lock()


def default_jobs() -> int:
    return min(8, 2 * (os.cpu_count() or 1))


@dataclass
class CheckDef:
    """One graded check, as collected by the pytest plugin."""

    name: str
    exercise: str
    title: Msg
    points: float
    kind: str  # "visible" or "hidden"
    target: str = ""  # hidden: "package.module:function"
    code: str = ""  # visible: the test cell's code
    timeout: float | None = None
    on_timeout: Msg | None = None
    scheduled: bool = False  # hidden: the module is imported for controlled runs


def locked_sources(content: ProblemSetContent) -> dict[str, str]:
    """The kit's own locked cells of the release notebook, by nbgrader grade_id."""
    return {"setup": content.setup_code(), "helpers": content.helpers_code()}


def interpret(run: ChildRun, *, limit: float, loc: Locator) -> tuple[str, Msg]:
    """A child's outcome and message, also when it died without writing a result.

    ``loc`` names the student's file and maps lines back to notebook cells.
    """
    if run.result is not None:
        return run.result["outcome"], Msg.from_dict(run.result.get("message"))
    if run.killed:
        msg = Msg(f"超时：{limit:g} 秒内没有完成，并且程序没有响应（可能卡在不释放 GIL 的调用里）。",
                  f"Timed out after {limit:g} s and the program did not respond "
                  f"(possibly stuck in a call that holds the GIL).")
        if run.fault_stacks.strip():
            msg = msg + Msg("\n你的线程停在这里：\n", "\nWhere your threads were:\n") + fault_stacks(
                run.fault_stacks, loc)
        return "timeout", msg
    code = run.returncode
    if code == -signal.SIGXFSZ:
        return "crashed", Msg("你的程序输出太多（超过 16 MiB），被停止了。",
                              "Your program printed too much (over 16 MiB) and was stopped.")
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        return "crashed", Msg(f"程序被信号 {name} 终止了。", f"The program was killed by signal {name}.")
    return "crashed", Msg(
        f"程序在检查结束前退出了（退出码 {code}）：是不是调用了 os._exit()？",
        f"The program exited with code {code} before the check finished: did it call os._exit()?")


@dataclass
class GradingContext:
    """What the pytest plugin needs to run checks for one submission."""

    ps: ProblemSet
    content: ProblemSetContent
    submission: Submission
    workdir: Path
    jobs: int
    import_timeout: float = 0.0  # 0: the problem set's
    check_timeout: float = 0.0  # 0: each check's own limit, else the problem set's; else: every check's
    python: str = ""  # the interpreter that runs the student's code; "" for the grader's own
    schedule: str = ""  # replay only this schedule in scheduled checks ("" for all of them)
    import_problem: Msg | None = None
    present: set[str] = field(default_factory=set)
    results: dict[str, TestResult] = field(default_factory=dict)
    _futures: dict[str, Future] = field(default_factory=dict)
    retried: list[str] = field(default_factory=list)  # checks run again after the kit's own failure
    _launched: dict[str, tuple[CheckDef, int]] = field(default_factory=dict)
    _pool: ThreadPoolExecutor | None = None

    def __post_init__(self) -> None:
        self.import_timeout = self.import_timeout or self.ps.import_timeout

    @property
    def module_path(self) -> Path:
        return self.workdir / f"{self.ps.module}.py"

    def locator(self) -> Locator:
        sub = self.submission
        return Locator(str(self.module_path), sub.display, sub.cell_starts, sub.cell_numbers)

    def base_spec(self) -> dict:
        sub = self.submission
        return {
            "module_name": self.ps.module,
            "module_path": str(self.module_path),
            "display": sub.display,
            "cell_starts": sub.cell_starts,
            "cell_numbers": sub.cell_numbers,
            "import_timeout": self.import_timeout,
            "python": self.python,
            "schedule": self.schedule,
        }

    def prepare(self) -> None:
        """Write the module and probe its import once, so a broken import costs one time limit."""
        sub = self.submission
        if sub.problem is not None:
            self.import_problem = sub.problem
            return
        self.module_path.write_text(sub.source, encoding="utf-8")
        names = sorted({n for ex in self.ps.exercises for n in ex.names})
        spec = dict(self.base_spec(), kind="probe", names=names, check_timeout=0)
        run = run_child(spec, self.workdir, "probe")
        outcome, msg = interpret(run, limit=self.import_timeout, loc=self.locator())
        if outcome == "passed":
            self.present = set(run.result.get("present", []))
        else:
            if run.stdout.strip() or run.stderr.strip():
                msg = msg + Msg("\n\n导入时的输出：\n", "\n\nOutput while importing:\n") + Msg.same(
                    (run.stdout + run.stderr)[:2000])
            self.import_problem = msg

    def launch(self, checks: list[CheckDef]) -> None:
        self._pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="kit-check")
        for index, chk in enumerate(checks):
            early = self._verdict_without_running(chk)
            if early is not None:
                self.results[chk.name] = early
            else:
                self._launched[chk.name] = (chk, index)
                self._futures[chk.name] = self._pool.submit(self._run, chk, index)

    def _verdict_without_running(self, chk: CheckDef) -> TestResult | None:
        base = TestResult(chk.name, chk.exercise, chk.title, chk.points,
                          visibility="visible" if chk.kind == "visible" else "hidden")
        if self.import_problem is not None:
            base.outcome = "not_run"
            base.message = Msg("没有运行，因为你的文件不能导入：\n", "Not run because your file cannot be imported:\n") \
                + self.import_problem
            return base
        missing = [n for n in self.ps.exercise(chk.exercise).names if n not in self.present]
        if missing:
            names = ", ".join(missing)
            base.outcome = "failed"
            base.message = Msg(f"{self.submission.display} 里没有定义 {names}（名字必须完全一致）。",
                               f"{self.submission.display} does not define {names} (the name must match exactly).")
            return base
        return None

    def _run(self, chk: CheckDef, index: int, attempt: str = "") -> TestResult:
        limit = self.check_timeout or chk.timeout or self.ps.check_timeout
        spec = dict(self.base_spec(), kind=chk.kind, check_timeout=limit)
        if chk.kind == "visible":
            spec.update(code=chk.code, helpers=self.content.helpers_code())
        else:
            spec.update(target=chk.target, instrument=chk.scheduled)
        if chk.on_timeout is not None:
            spec["on_timeout"] = chk.on_timeout.to_dict()
        run = run_child(spec, self.workdir, f"check{index:03d}{attempt}")
        outcome, msg = interpret(run, limit=limit, loc=self.locator())
        passed = outcome == "passed"
        output = ""
        if not passed:
            output = run.stdout
            if run.stderr.strip():
                output += ("\n" if output else "") + "[stderr]\n" + run.stderr
        return TestResult(chk.name, chk.exercise, chk.title, chk.points, score=chk.points if passed else 0.0,
                          outcome=outcome, message=msg, student_output=output,
                          visibility="visible" if chk.kind == "visible" else "hidden")

    def result(self, name: str) -> TestResult:
        if name not in self.results:
            try:
                self.results[name] = self._futures[name].result()
            except Exception as exc:  # noqa: BLE001 - the kit could not start or read the child, not a verdict
                # Whatever the student's code does becomes a result inside run_child; an exception
                # here is the machine's (a fork refused under load, say): run the check once more.
                self.retried.append(f"{name}: {type(exc).__name__}: {exc}")
                chk, index = self._launched[name]
                self.results[name] = self._run(chk, index, attempt="-again")
        return self.results[name]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


class GraderInternalError(RuntimeError):
    """The grader itself failed (a bug in the kit, not in the submission)."""


def run_checks(ctx: GradingContext, *, visible_only: bool) -> list[TestResult]:
    from autograder.pytest_plugin import KitPlugin

    plugin = KitPlugin(ctx)
    paths = [str(ctx.ps.folder / "content.py")]
    if not visible_only:
        paths.append(str(ctx.ps.folder / "test_hidden.py"))
    backstop = ctx.ps.import_timeout + 3 * ctx.ps.check_timeout + 60
    if threading.current_thread() is not threading.main_thread() or "PYTEST_CURRENT_TEST" in os.environ:
        # Off in a thread (pytest-timeout's thread method would os._exit the caller) and inside an
        # outer pytest run (a nested SIGALRM would cancel the outer one). Children keep their limits.
        backstop = 0
    args = [*paths, "-c", str(INI), "--rootdir", str(ctx.ps.folder), "-p", "no:cacheprovider",
            "-q", "-o", f"timeout={backstop:g}", "-o", "timeout_method=signal"]
    buffer = io.StringIO()
    with _PYTEST_LOCK, contextlib.redirect_stdout(buffer):
        code = pytest.main(args, plugins=[plugin])
    if plugin.errors or code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise GraderInternalError(f"pytest exited {code!s}: {plugin.errors or buffer.getvalue()[-3000:]}")
    for what in ctx.retried:  # after pytest, whose capture would swallow it
        print(f"autograder: warning: {what}; the check was run again", file=sys.stderr)
    missing = [c.name for c in plugin.checks if c.name not in ctx.results]
    if missing:  # a check's child could not be run or read: the kit's fault, never the student's
        raise GraderInternalError(f"no result for {missing}: {buffer.getvalue()[-3000:]}")
    return [ctx.results[c.name] for c in plugin.checks]


def grade(problem_set: str, submission: Path | str, *, visible_only: bool = False,
          jobs: int | None = None, check_timeout: float | None = None,
          import_timeout: float | None = None, python: str | None = None,
          schedule: str | None = None) -> GradeResult:
    """Grade ``submission`` against ``problem_set``; raises only for the grader's own problems.

    ``check_timeout`` (seconds) replaces the time limit of every check, ``import_timeout`` the
    problem set's import limit; both default to the problem set's own (tests use small ones).
    ``python`` runs the student's code with another CPython (3.10 or newer; the child side
    of the grader needs only the standard library). ``schedule`` (like ``random:7``) makes
    every scheduled check run that one schedule: the replay of a reported interleaving.
    """
    started = time.monotonic()
    ps = get_problem_set(problem_set)
    content = load_content(ps)
    sub = load_submission(Path(submission), ps, locked_sources(content))
    workdir = Path(tempfile.mkdtemp(prefix=f"kit-{ps.short}-"))
    ctx = GradingContext(ps, content, sub, workdir, jobs or default_jobs(),
                         import_timeout=import_timeout or 0.0, check_timeout=check_timeout or 0.0,
                         python=python or "", schedule=schedule or "")
    try:
        ctx.prepare()
        tests = run_checks(ctx, visible_only=visible_only)
    finally:
        ctx.close()
        shutil.rmtree(workdir, ignore_errors=True)
    order = {ex.id: i for i, ex in enumerate(ps.exercises)}
    tests.sort(key=lambda t: order[t.exercise])
    return GradeResult(ps.id, sub.display, autograder.__version__, tests, list(sub.notices),
                       execution_time=time.monotonic() - started)


if __name__ == "__main__":  # pragma: no cover - debugging aid
    print(grade(sys.argv[1], sys.argv[2]).to_dict())
