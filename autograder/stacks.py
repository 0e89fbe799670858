"""Describe where the student's code is: locations, exceptions, stuck threads.

Only frames from the student's own file (and the visible test cells) are shown:
the grader's frames mean nothing to a student. A location in a notebook is
given as its code cell and line, not as a line of the assembled module.
"""

from __future__ import annotations

import bisect
import linecache
import re
import sys
import threading
import traceback
from dataclasses import dataclass, field
from types import FrameType, TracebackType

from autograder.checks import CALLER_THREAD_NAME
from autograder.i18n import Msg

VISIBLE_FILE = "<visible test>"
HELPERS_FILE = "<kit helpers>"


@dataclass
class Locator:
    """Maps a line of the graded module back to the student's file or notebook cell."""

    module_path: str
    display: str  # "threads.py" or "threads.ipynb"
    cell_starts: list[int] = field(default_factory=list)  # module line where each cell starts
    cell_numbers: list[int] = field(default_factory=list)  # the notebook's cell number of each

    def is_student(self, filename: str) -> bool:
        return filename in (self.module_path, VISIBLE_FILE)

    def where(self, filename: str, lineno: int) -> Msg:
        if filename == VISIBLE_FILE:
            return Msg(f"可见测试第 {lineno} 行", f"visible test, line {lineno}")
        if self.cell_starts:
            i = bisect.bisect_right(self.cell_starts, lineno) - 1
            if i >= 0:
                cell, line = self.cell_numbers[i], lineno - self.cell_starts[i] + 1
                return Msg(f"{self.display} 第 {cell} 个单元格第 {line} 行",
                           f"{self.display}, cell {cell}, line {line}")
        return Msg(f"{self.display} 第 {lineno} 行", f"{self.display}, line {lineno}")

    def frame_line(self, filename: str, lineno: int, func: str) -> Msg:
        code = linecache.getline(filename, lineno).strip()
        where = self.where(filename, lineno)
        text = Msg(f"{where.zh}，{func}()", f"{where.en}, in {func}()")
        return text + Msg.same(f": {code}") if code else text


def _student_frames(frames: list[traceback.FrameSummary], loc: Locator) -> list[traceback.FrameSummary]:
    return [f for f in frames if loc.is_student(f.filename)]


def describe_exception(exc: BaseException, tb: TracebackType | None, loc: Locator, limit: int = 3) -> Msg:
    """``TypeError: ...`` followed by the last few student frames it passed through."""
    head = Msg.same(f"{type(exc).__name__}: {exc}")
    frames = _student_frames(traceback.extract_tb(tb), loc)[-limit:]
    for f in frames:
        head = head + Msg.same("\n    ") + loc.frame_line(f.filename, f.lineno or 0, f.name)
    return head


def _thread_label(thread: threading.Thread | None, ident: int) -> Msg:
    if thread is None:
        return Msg(f"线程 {ident}", f"thread {ident}")
    if thread is threading.main_thread():
        return Msg("主线程", "main thread")
    if thread.name == CALLER_THREAD_NAME:
        return Msg("调用你的函数的线程", "the thread that called your function")
    return Msg(f"线程 {thread.name}", f"thread {thread.name}")


Frame = tuple[str, int, str]  # (file, line, function), as both live stacks and faulthandler dumps give them


def _describe_threads(threads: list[tuple[Msg, list[Frame]]], loc: Locator, limit: int, inside: Msg) -> Msg:
    """One block per thread that is in the student's code: its label, its last few student
    frames (outermost first), and the non-student call it is inside, if any."""
    lines: list[Msg] = []
    for label, frames in threads:
        student = [f for f in frames if loc.is_student(f[0])]
        if not student:
            continue
        lines.append(label + Msg("：", ":"))
        for filename, lineno, func in student[-limit:]:
            lines.append(Msg.same("    ") + loc.frame_line(filename, lineno, func))
        filename, _, func = frames[-1]
        if not loc.is_student(filename):
            lines.append(inside.format(func=func))
    if not lines:
        return Msg("（没有线程停在你的代码里）", "(no thread is inside your code)")
    out = lines[0]
    for line in lines[1:]:
        out = out + Msg.same("\n") + line
    return out


def stuck_threads(loc: Locator, skip: set[int] | None = None, limit: int = 3) -> Msg:
    """Where every live thread is in the student's code right now."""
    skip = skip or set()
    by_ident = {t.ident: t for t in threading.enumerate()}

    def by_name(item: tuple[int, FrameType]) -> tuple[str, int]:  # idents are addresses: not a stable order
        thread = by_ident.get(item[0])
        return (thread.name if thread is not None else "~", item[0])

    threads = []
    for ident, frame in sorted(sys._current_frames().items(), key=by_name):
        if ident not in skip:
            frames = [(f.filename, f.lineno or 0, f.name) for f in traceback.extract_stack(frame)]
            threads.append((_thread_label(by_ident.get(ident), ident), frames))
    return _describe_threads(threads, loc, limit,
                             Msg("      （正在 {func}() 里等待）", "      (waiting inside {func}())"))


FAULT_THREAD = re.compile(r"^(?:Current thread|Thread) 0x[0-9a-fA-F]+")
FAULT_FRAME = re.compile(r'^\s*File "(?P<file>.*)", line (?P<line>\d+) in (?P<func>.*?)\s*$')


def fault_stacks(dump: str, loc: Locator, limit: int = 3) -> Msg:
    """Where each thread of a ``faulthandler`` dump is in the student's code.

    The parent reads this dump when it had to kill a child that could not answer
    (a C call holding the GIL): it only has the text, not the threads. Threads
    outside the student's code (the grader's own) are left out, as in
    :func:`stuck_threads`.
    """
    dumped: list[list[Frame]] = []
    for line in dump.splitlines():
        if FAULT_THREAD.match(line):
            dumped.append([])
            continue
        match = FAULT_FRAME.match(line)
        if match and dumped:
            dumped[-1].append((match["file"], int(match["line"]), match["func"]))
    threads = []
    number = 0
    for frames in dumped:
        frames.reverse()  # faulthandler lists the most recent call first
        if not any(loc.is_student(f[0]) for f in frames):
            continue
        if frames[0][0] == "<frozen runpy>" or frames[0][0].endswith("runpy.py"):
            label = Msg("主线程", "main thread")
        else:
            number += 1
            label = Msg(f"线程 {number}", f"thread {number}")
        threads.append((label, frames))
    return _describe_threads(threads, loc, limit, Msg("      （正在 {func}() 里）", "      (inside {func}())"))
