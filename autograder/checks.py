"""What hidden tests are written with.

A hidden test is a function taking the student's module, decorated with
:func:`check`. It runs in a child process (never in the grader), so it may call
student code directly: a hang becomes a timeout result with the student's stacks,
an exception becomes the reason. Fail with :func:`expect`/:func:`fail`, which
carry a message in both languages::

    @check("greet_all", points=3, en="each name is passed whole", zh="每个名字整体传入")
    def test_whole_names(threads):
        log = CallLog()
        threads.greet_all(["王老大"], log)
        expect(log.args() == [("王老大",)], en="greet got {got}", zh="greet 收到 {got}", got=log.args())
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograder.i18n import Msg


@dataclass(frozen=True)
class CheckSpec:
    exercise: str
    points: float
    title: Msg
    timeout: float | None = None  # seconds; the problem set's check_timeout when None
    on_timeout: Msg | None = None  # a hint added when the check times out
    scheduled: bool = False  # import the student's module for controlled runs (autograder.interleave)


def check(exercise: str, *, points: float, en: str, zh: str, timeout: float | None = None,
          on_timeout_en: str | None = None, on_timeout_zh: str | None = None, scheduled: bool = False) -> Callable:
    """Mark a function as a graded check of ``exercise`` worth ``points``.

    ``scheduled=True`` gives the check a module imported with scheduling points and the
    kit's primitives, for :func:`autograder.interleave.explore`.
    """
    hint = Msg(on_timeout_zh or "", on_timeout_en or "") if on_timeout_en or on_timeout_zh else None

    def mark(func: Callable) -> Callable:
        func.kit_check = CheckSpec(exercise, float(points), Msg(zh, en), timeout, hint, scheduled)
        return func

    return mark


class CheckFailed(AssertionError):
    """A check's verdict: the student's code does not do what the exercise asks."""

    def __init__(self, msg: Msg):
        super().__init__(msg.en)
        self.msg = msg


def fail(*, en: str, zh: str, **values: Any) -> None:
    """Fail the check; ``{name}`` fields in both texts are filled from ``values``."""
    raise CheckFailed(Msg(zh, en).format(**values))


def expect(condition: object, *, en: str, zh: str, **values: Any) -> None:
    """Fail the check with the message unless ``condition`` holds."""
    if not condition:
        fail(en=en, zh=zh, **values)


@dataclass(frozen=True)
class Call:
    """One call of a grader-provided callback, as the student's code made it."""

    args: tuple
    thread: threading.Thread
    index: int  # order among all calls of this log


class CallLog:
    """A thread-safe callable that records who called it with what, in order."""

    def __init__(self, action: Callable[..., Any] | None = None):
        self._lock = threading.Lock()
        self._action = action
        self.calls: list[Call] = []

    def __call__(self, *args: Any) -> Any:
        with self._lock:
            self.calls.append(Call(args, threading.current_thread(), len(self.calls)))
        if self._action is not None:
            return self._action(*args)
        return None

    def args(self) -> list[tuple]:
        with self._lock:
            return [c.args for c in self.calls]

    def threads(self) -> list[threading.Thread]:
        with self._lock:
            return [c.thread for c in self.calls]


CALLER_THREAD_NAME = "kit-caller"


@dataclass(frozen=True)
class Called:
    """What :func:`call` saw: the return value, the thread that made the call, and how
    many lines of the student's file that thread executed (with ``count_lines=True``)."""

    value: Any
    thread: threading.Thread
    lines: int = 0


def _line_counter(student_file: str, box: dict[str, Any]) -> Callable:
    def local(frame: Any, event: str, arg: Any) -> Callable:
        if event == "line":
            box["lines"] = box.get("lines", 0) + 1
        return local

    def global_trace(frame: Any, event: str, arg: Any) -> Callable | None:
        return local if frame.f_code.co_filename == student_file else None

    return global_trace


def call(func: Callable[..., Any], *args: Any, seconds: float = 3.0, name: str | None = None,
         count_lines: bool = False) -> Called:
    """Call ``func(*args)`` in a fresh thread and wait at most ``seconds``.

    A call that does not return fails the check at once with where the student's
    threads are stuck, instead of using up the whole check's time limit; an
    exception from the student's code propagates unchanged. ``count_lines``
    counts the lines of the student's file the calling thread executes: a
    structural measure of spinning that does not depend on the machine's speed.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        if count_lines:
            from autograder import child

            if child.LOCATOR is not None:
                sys.settrace(_line_counter(child.LOCATOR.module_path, box))
        try:
            box["value"] = func(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the checking thread
            box["error"] = exc
        finally:
            sys.settrace(None)

    caller = threading.Thread(target=run, name=CALLER_THREAD_NAME, daemon=True)
    caller.start()
    caller.join(seconds)
    if caller.is_alive():
        from autograder import child
        from autograder.stacks import stuck_threads

        label = name or getattr(func, "__name__", "?")
        where = stuck_threads(child.LOCATOR) if child.LOCATOR else Msg("", "")
        raise CheckFailed(Msg(f"{label}() 在 {seconds:g} 秒内没有返回。你的线程停在这里：\n",
                              f"{label}() did not return within {seconds:g} s. Where your threads were:\n") + where)
    if "error" in box:
        raise box["error"]
    return Called(box.get("value"), caller, box.get("lines", 0))


def settle(condition: Callable[[], object], seconds: float = 2.0) -> bool:
    """Wait (bounded) until ``condition()`` holds; True if it does.

    Checks that are not about *when* a function returns use this before looking
    at what its threads did, so that returning early costs points in exactly one
    check (the one about returning) and the grade does not depend on timing.
    """
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            return bool(condition())
        time.sleep(0.002)
    return True
