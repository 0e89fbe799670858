"""The student's child processes, seen from inside a check: which exist, where each is stuck.

Used by checks that start real processes (``multiprocessing``), on Linux, with the standard
library only (the check may run under another CPython, without psutil):

* :func:`call` calls the student's function like :func:`autograder.checks.call`, and also
  ends it early when the whole tree is deadlocked: every thread of the calling process (the
  kit's own threads aside) and of every descendant is blocked in a system call that has no
  timeout (``read``, ``wait4``, an untimed ``futex``...), and no thread has run at all (CPU
  time and context switches unchanged) for :data:`STILL` seconds. Then, and at its time limit,
  it says where each process was: the caller's threads from their live frames, each child's
  from a ``faulthandler`` dump it writes on SIGUSR1, the rest from ``/proc``.
* :func:`install` gives the children that dump: a process forked from the check re-registers
  it for its own pid; a spawned or forkserver child (a fresh interpreter) gets it from
  ``autograder/proctree_site/sitecustomize.py``, put on ``PYTHONPATH``, which also records an
  uncaught exception (a child that died while starting).
* :func:`leftovers` lists the processes started since a snapshot that are still running or
  were never waited for (zombies).

Nothing here decides by how long something took: a tree is "deadlocked" only when no thread
in it can run; a slow machine only delays the verdict.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.checks import CALLER_THREAD_NAME, Called, CheckFailed
from autograder.i18n import Msg

SITE_DIR = str(Path(__file__).with_name("proctree_site"))
ENV = "KIT_PROCTREE_DIR"
STILL = 0.5  # seconds without any thread running before a fully blocked tree counts as deadlocked
POLL = 0.05  # seconds between two looks at the tree
DUMP_WAIT = 2.0  # seconds a child may take to write its stack dump

_state: dict[str, Any] = {}

# System calls that can block forever, per architecture: number -> (name, index of the argument that
# must be "no timeout" for the call to count as blocked forever, and how to read it). "null": a NULL
# timeout pointer; "negative": a negative int (milliseconds); None: the call has no timeout at all.
_X86_64 = {
    0: ("read", None, ""), 1: ("write", None, ""), 7: ("poll", 2, "negative"), 19: ("readv", None, ""),
    20: ("writev", None, ""), 23: ("select", 4, "null"), 34: ("pause", None, ""), 43: ("accept", None, ""),
    44: ("sendto", None, ""), 45: ("recvfrom", None, ""), 46: ("sendmsg", None, ""),
    47: ("recvmsg", None, ""), 61: ("wait4", None, ""), 64: ("semop", None, ""), 73: ("flock", None, ""),
    128: ("rt_sigtimedwait", 2, "null"), 130: ("rt_sigsuspend", None, ""), 202: ("futex", 3, "null"),
    220: ("semtimedop", 3, "null"), 232: ("epoll_wait", 3, "negative"), 247: ("waitid", None, ""),
    270: ("pselect6", 4, "null"), 271: ("ppoll", 2, "null"), 281: ("epoll_pwait", 3, "negative"),
    288: ("accept4", None, ""), 441: ("epoll_pwait2", 3, "null"), 449: ("futex_waitv", 3, "null"),
}
_AARCH64 = {
    63: ("read", None, ""), 64: ("write", None, ""), 65: ("readv", None, ""), 66: ("writev", None, ""),
    72: ("pselect6", 4, "null"), 73: ("ppoll", 2, "null"), 22: ("epoll_pwait", 3, "negative"),
    98: ("futex", 3, "null"), 95: ("waitid", None, ""), 260: ("wait4", None, ""), 202: ("accept", None, ""),
    242: ("accept4", None, ""), 206: ("sendto", None, ""), 207: ("recvfrom", None, ""),
    211: ("sendmsg", None, ""), 212: ("recvmsg", None, ""), 133: ("rt_sigsuspend", None, ""),
    137: ("rt_sigtimedwait", 2, "null"), 32: ("flock", None, ""), 193: ("semop", None, ""),
    192: ("semtimedop", 3, "null"), 441: ("epoll_pwait2", 3, "null"), 449: ("futex_waitv", 3, "null"),
}
SYSCALLS = {"x86_64": _X86_64, "aarch64": _AARCH64}.get(os.uname().machine, {})
FUTEX_WAITS = {0, 9, 6, 11}  # FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_LOCK_PI, FUTEX_WAIT_REQUEUE_PI
BOOTSTRAP_ERROR = "bootstrapping phase"  # multiprocessing's RuntimeError for a start during a child's import
HELPER_CMDLINES = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")


# ---------------------------------------------------------------- /proc


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _stat(pid: int, tid: int | None = None) -> list[str] | None:
    """The fields of /proc/PID[/task/TID]/stat after the command name (state first)."""
    text = _read(f"/proc/{pid}/task/{tid}/stat" if tid else f"/proc/{pid}/stat")
    if not text or ")" not in text:
        return None
    return text.rsplit(")", 1)[1].split()


def state(pid: int) -> str | None:
    """The state letter of a process ("Z": a zombie), None if it is gone."""
    fields = _stat(pid)
    return fields[0] if fields else None


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        text = _read(f"/proc/{pid}/task/{tid}/children")
        if text:
            found.extend(int(p) for p in text.split())
    return sorted(set(found))


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, parents before their children."""
    out: list[int] = []
    todo = children(pid)
    while todo:
        child = todo.pop(0)
        if child not in out:
            out.append(child)
            todo.extend(children(child))
    return out


def cmdline(pid: int) -> str:
    return (_read(f"/proc/{pid}/cmdline") or "").replace("\0", " ").strip()


def is_helper(pid: int) -> bool:
    """multiprocessing's own forkserver or resource tracker: not the student's processes (a child
    the forkserver forked for the student shares its command line, but has it as parent)."""
    if not any(name in cmdline(pid) for name in HELPER_CMDLINES):
        return False
    fields = _stat(pid)
    return not (fields and "multiprocessing.forkserver" in cmdline(int(fields[1])))


def catches_sigusr1(pid: int) -> bool:
    for line in (_read(f"/proc/{pid}/status") or "").splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signal.SIGUSR1 - 1) & 1)
    return False


@dataclass(frozen=True)
class ThreadState:
    state: str  # "S", "R", "D", "Z", ...
    syscall: str  # the blocking system call's name, "" if none or unknown
    forever: bool  # blocked in a system call without a timeout
    progress: tuple  # changes whenever the thread runs: CPU ticks and context switches


def _syscall(pid: int, tid: int) -> tuple[str, bool]:
    text = _read(f"/proc/{pid}/task/{tid}/syscall")
    if not text:
        return "", False
    parts = text.split()
    if not parts or parts[0] in ("running", "-1"):
        return "", False
    try:
        number, args = int(parts[0]), [int(a, 16) for a in parts[1:7]]
    except ValueError:
        return "", False
    known = SYSCALLS.get(number)
    if known is None or len(args) < 6:
        return "", False
    name, index, kind = known
    if name == "futex" and args[1] & 0x7F not in FUTEX_WAITS:
        return name, False
    if index is None:
        return name, True
    value = args[index]
    if kind == "null":
        return name, value == 0
    return name, value >= 2 ** 31 or value == 2 ** 64 - 1  # a negative int


def thread_state(pid: int, tid: int) -> ThreadState | None:
    fields = _stat(pid, tid)
    if fields is None:
        return None
    switches = []
    for line in (_read(f"/proc/{pid}/task/{tid}/status") or "").splitlines():
        if "ctxt_switches" in line:
            switches.append(line.split()[-1])
    name, forever = _syscall(pid, tid) if fields[0] in ("S", "D") else ("", False)
    # fields: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    return ThreadState(fields[0], name, forever and fields[0] == "S", (fields[11], fields[12], *switches))


def threads_of(pid: int) -> list[int]:
    try:
        return sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return []


# ---------------------------------------------------------------- hooks for the children


def _hooks() -> types.ModuleType:
    from autograder.proctree_site import sitecustomize

    return sitecustomize


def install() -> str:
    """Give every process the check starts from now on a stack dump on SIGUSR1 and an exception
    record (idempotent); the folder they report to."""
    if "folder" in _state:
        return _state["folder"]
    import tempfile

    folder = tempfile.mkdtemp(prefix="kit-proctree-", dir=os.getcwd())
    _state["folder"] = folder
    os.environ[ENV] = folder
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join([SITE_DIR, *paths])
    hooks = _hooks()
    os.register_at_fork(after_in_child=lambda: hooks.install(folder))
    return folder


def child_errors() -> dict[int, dict]:
    """Uncaught exceptions of the check's children so far, by pid."""
    folder = _state.get("folder")
    out: dict[int, dict] = {}
    if not folder:
        return out
    for entry in sorted(os.listdir(folder)):
        if entry.startswith("error-") and entry.endswith(".json"):
            try:
                out[int(entry[6:-5])] = json.loads(Path(folder, entry).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
    return out


def request_stacks(pids: list[int]) -> dict[int, str]:
    """Ask each process that has the kit's handler for a stack dump; the dumps that arrived."""
    folder = _state.get("folder")
    if not folder:
        return {}
    asked: dict[int, tuple[str, int]] = {}
    for pid in pids:
        path = os.path.join(folder, f"stacks-{pid}")
        if not os.path.exists(path) or not catches_sigusr1(pid):
            continue
        try:
            size = os.path.getsize(path)
            os.kill(pid, signal.SIGUSR1)
        except OSError:
            continue
        asked[pid] = (path, size)
    dumps: dict[int, str] = {}
    sizes: dict[int, int] = {}
    deadline = time.monotonic() + DUMP_WAIT
    while asked and time.monotonic() < deadline:
        time.sleep(0.02)
        for pid, (path, start) in list(asked.items()):
            try:
                size = os.path.getsize(path)
            except OSError:
                del asked[pid]
                continue
            running = any((t := thread_state(pid, tid)) is not None and t.state == "R" for tid in threads_of(pid))
            if size > start and sizes.get(pid) == size and not running:
                with open(path, "rb") as fh:
                    fh.seek(start)
                    dumps[pid] = fh.read().decode("utf-8", "replace")
                del asked[pid]
            sizes[pid] = size
    return dumps


# ---------------------------------------------------------------- the tree and its deadlock


def _kit_thread_ids() -> set[int]:
    """Native ids of the checking process's threads that are the kit's, not the student's."""
    # the calling thread by get_native_id(): a main thread's native_id may still be the one from
    # before a fork (the check's worker is forked from its supervisor)
    return {threading.get_native_id()} | {
        t.native_id for t in threading.enumerate()
        if t.native_id is not None and t.name.startswith("kit-") and t.name != CALLER_THREAD_NAME}


def snapshot() -> dict[tuple[int, int], ThreadState]:
    """Every student thread of this process and of each descendant, with its state."""
    own = os.getpid()
    skip = _kit_thread_ids()
    out = {}
    for pid in [own, *descendants(own)]:
        for tid in threads_of(pid):
            if pid == own and tid in skip:
                continue
            ts = thread_state(pid, tid)
            if ts is not None:
                out[(pid, tid)] = ts
    return out


def all_blocked(snap: dict[tuple[int, int], ThreadState]) -> bool:
    return bool(snap) and all(t.forever or t.state in ("Z", "X") for t in snap.values())


class DeadlockWatch:
    """Feed it snapshots; it says when the tree has been fully blocked and still for STILL seconds."""

    def __init__(self, still: float = STILL):
        self.still = still
        self.since: float | None = None
        self.first: dict | None = None
        self.looks = 0

    def look(self, snap: dict[tuple[int, int], ThreadState] | None = None) -> bool:
        snap = snapshot() if snap is None else snap
        now = time.monotonic()
        key = {k: (t.state, t.syscall, t.progress) for k, t in snap.items()}
        if not all_blocked(snap) or key != self.first:
            self.first = key if all_blocked(snap) else None
            self.since = now if self.first is not None else None
            self.looks = 0
            return False
        self.looks += 1
        return self.looks >= 3 and now - (self.since or now) >= self.still


# ---------------------------------------------------------------- describing the tree

Frame = tuple[str, int, str]


def process_names() -> dict[int, str]:
    """pid -> multiprocessing name of the processes this process started (without reaping any)."""
    try:
        from multiprocessing import process as mp_process

        return {p.pid: p.name for p in list(mp_process._children) if p.pid is not None}
    except Exception:  # noqa: BLE001 - a name is a nicety
        return {}


def parse_dump(dump: str) -> list[list[Frame]]:
    """The threads of a faulthandler dump, each as frames outermost first."""
    from autograder.stacks import FAULT_FRAME, FAULT_THREAD

    threads: list[list[Frame]] = []
    for line in dump.splitlines():
        if FAULT_THREAD.match(line):
            threads.append([])
            continue
        match = FAULT_FRAME.match(line)
        if match and threads:
            threads[-1].append((match["file"], int(match["line"]), match["func"]))
    for frames in threads:
        frames.reverse()
    return threads


def _short_file(filename: str) -> str:
    parts = Path(filename).parts
    return "/".join(parts[-2:]) if len(parts) >= 2 and parts[-2] == "multiprocessing" else Path(filename).name


# Where multiprocessing's own threads wait, in words: (file, function) -> what the thread is doing.
KNOWN_SPOTS = {
    ("util.py", "_exit_function"): Msg(
        "它的函数已经返回，进程正在退出：退出之前，它的 Queue 要先把数据全部写进管道",
        "its target has returned and the process is exiting: before it can exit, its Queue must write "
        "all its data into the pipe"),
    ("queues.py", "_feed"): Msg(
        "Queue 的后台线程（feeder）：正在把 put() 的数据写进管道；管道只能装大约 64 KiB，满了就要等别人来读",
        "the Queue's feeder thread: writing the data put() on the queue into the pipe, which holds about "
        "64 KiB and stays full until someone reads from it"),
}


def _thread_block(label: Msg, frames: list[Frame], loc: Any, limit: int = 3, *,
                  inner: bool = True) -> list[Msg]:
    """A thread's label and its last student frames; with ``inner``, also the call it waits in.

    Child processes are described without that innermost call: which of several identical
    consumers holds a queue's lock and which waits for it varies from run to run.
    """
    lines = [Msg.same("    ") + label + Msg("：", ":")]
    student = [f for f in frames if loc.is_student(f[0])]
    for filename, lineno, func in student[-limit:]:
        lines.append(Msg.same("        ") + loc.frame_line(filename, lineno, func))
    if frames and not loc.is_student(frames[-1][0]):
        filename, _, func = frames[-1]
        where = f"{_short_file(filename)}, {func}()"
        if student:
            if inner:
                lines.append(Msg(f"          （正在 {where} 里等待）", f"          (waiting inside {where})"))
            return lines
        known = next((KNOWN_SPOTS[(Path(f[0]).name, f[2])] for f in reversed(frames)
                      if (Path(f[0]).name, f[2]) in KNOWN_SPOTS), None)
        if known is not None:
            lines.append(Msg.same("        ") + known)
        elif inner:
            lines.append(Msg(f"        （不在你的代码里：{where}）", f"        (not in your code: {where})"))
        else:
            lines.append(Msg("        （不在你的代码里）", "        (not in your code)"))
    return lines


def _dump_threads(dump: str) -> list[tuple[Msg, list[Frame]]]:
    out = []
    number = 0
    for frames in reversed(parse_dump(dump)):  # faulthandler lists the newest thread first
        if not frames:
            continue
        # the process's own work starts at BaseProcess._bootstrap; what lies below it in a forked
        # child is the parent's stack at the moment of the fork, not the child's
        start = next((i for i, f in enumerate(frames) if f[2] == "_bootstrap" and _short_file(f[0])
                      == "multiprocessing/process.py"), None)
        if start is not None:
            out.append((Msg("主线程", "main thread"), frames[start:]))
        elif frames[0][0].endswith("threading.py") and frames[0][2] == "_bootstrap":
            number += 1
            out.append((Msg(f"线程 {number}", f"thread {number}"), frames))
        else:
            out.append((Msg("主线程", "main thread"), frames))
    out.sort(key=lambda item: item[0].en != "main thread")
    return out


@dataclass
class ChildView:
    pid: int
    label: Msg
    status: str  # "alive", "zombie"
    threads: list[tuple[Msg, list[Frame]]] = field(default_factory=list)
    syscalls: list[str] = field(default_factory=list)

    def in_function(self, func: str) -> bool:
        return any(f[2] == func for _, frames in self.threads for f in frames)


@dataclass
class TreeView:
    """Where the checking process's threads and each child process were."""

    caller: list[tuple[Msg, list[Frame]]]
    children: list[ChildView]
    errors: dict[int, dict]

    def caller_in(self, func: str) -> bool:
        return any(f[2] == func for _, frames in self.caller for f in frames)


def view_tree(names: dict[int, str] | None = None) -> TreeView:
    import traceback

    from autograder.stacks import _thread_label

    own = os.getpid()
    kit = {t.ident for t in threading.enumerate() if t.name.startswith("kit-") and t.name != CALLER_THREAD_NAME}
    kit.add(threading.get_ident())
    by_ident = {t.ident: t for t in threading.enumerate()}
    caller = []
    for ident, frame in sorted(sys._current_frames().items(), key=lambda i: (getattr(by_ident.get(i[0]), "name", "~"), i[0])):
        if ident in kit:
            continue
        frames = [(f.filename, f.lineno or 0, f.name) for f in traceback.extract_stack(frame)]
        caller.append((_thread_label(by_ident.get(ident), ident), frames))
    names = {**process_names(), **(names or {})}
    pids = [p for p in descendants(own) if not is_helper(p)]
    dumps = request_stacks([p for p in pids if state(p) not in ("Z", None)])
    views = []
    unnamed = 0
    for pid in pids:
        st = state(pid)
        if st is None:
            continue
        if pid in names:
            label = Msg(f"子进程 {names[pid]}", f"child process {names[pid]}")
        else:
            unnamed += 1
            label = Msg(f"另一个进程（第 {unnamed} 个）", f"another process (number {unnamed})")
        view = ChildView(pid, label, "zombie" if st == "Z" else "alive")
        if pid in dumps:
            view.threads = _dump_threads(dumps[pid])
        elif st != "Z":
            view.syscalls = sorted({t.syscall for tid in threads_of(pid)
                                    if (t := thread_state(pid, tid)) is not None and t.syscall})
        views.append(view)
    return TreeView(caller, views, child_errors())


def describe(tree: TreeView, loc: Any) -> Msg:
    lines: list[Msg] = [Msg("调用你的函数的进程：", "the process that called your function:")]
    shown = False
    for label, frames in tree.caller:
        if any(loc.is_student(f[0]) for f in frames):
            lines.extend(_thread_block(label, frames, loc))
            shown = True
    if not shown:
        lines.append(Msg("    （没有线程停在你的代码里）", "    (no thread is inside your code)"))
    # Child processes: the distinct places where the running ones were, without names or counts
    # (which of several identical consumers got the one sentinel, or put a result and so has a
    # feeder thread, varies from run to run). A child's own threads are shown only when they are
    # in the student's code; its main thread always.
    blocks: list[tuple[Msg, ...]] = []
    for child in tree.children:
        if child.status == "zombie":
            continue
        block: list[Msg] = []
        if child.threads:
            for label, frames in child.threads:
                if label.en == "main thread" or any(loc.is_student(f[0]) for f in frames):
                    block.extend(_thread_block(label, frames, loc, inner=False))
        elif child.syscalls:
            calls = ", ".join(f"{s}()" for s in child.syscalls)
            block.append(Msg(f"    （在系统调用 {calls} 里等待）", f"    (waiting in the system call {calls})"))
        else:
            block.append(Msg("    （不知道它停在哪里）", "    (where it was is unknown)"))
        if tuple(block) not in blocks:
            blocks.append(tuple(block))
    if blocks:
        lines.append(Msg("还在运行的子进程（每种情况列一次）：", "the child processes still running (each case once):"))
        for block in sorted(blocks, key=lambda b: [m.en for m in b]):
            lines.extend(block)
    else:
        lines.append(Msg("（没有还在运行的子进程）", "(no child process was still running)"))
    out = lines[0]
    for line in lines[1:]:
        out = out + Msg.same("\n") + line
    return out + describe_errors(tree.errors, loc)


def _first_sentence(text: str, limit: int = 300) -> str:
    """An exception's message on one line, up to its first full stop (multiprocessing's are long)."""
    flat = " ".join(text.split())
    end = flat.find(". ")
    flat = flat[:end + 1] if end > 0 else flat
    return flat if len(flat) <= limit else flat[:limit] + "..."


def describe_errors(errors: dict[int, dict], loc: Any) -> Msg:
    """Exceptions that ended child processes (as the children recorded them), most telling first."""
    if not errors:
        return Msg("", "")
    out = Msg("\n\n子进程里出现了异常：", "\n\nA child process raised an exception:")
    seen = set()
    for _, err in sorted(errors.items(), key=lambda e: BOOTSTRAP_ERROR not in e[1].get("message", "")):
        key = (err.get("type"), err.get("message"))
        if key in seen:
            continue
        seen.add(key)
        out = out + Msg.same(f"\n  {err.get('type')}: {_first_sentence(err.get('message', ''))}")
        for filename, lineno, func in [f for f in err.get("frames", []) if loc.is_student(f[0])][-3:]:
            out = out + Msg.same("\n      ") + loc.frame_line(filename, lineno, func)
        if len(seen) >= 3:
            break
    if any(BOOTSTRAP_ERROR in e.get("message", "") for e in errors.values()):
        out = out + Msg(
            "\n在 spawn（和 forkserver）启动方式下，每个子进程启动时都会重新执行你的模块顶层的代码；"
            "模块顶层的代码启动了进程，子进程还没启动完就又要启动进程，于是出错了。"
            "演示代码（启动进程的代码）要放进 if __name__ == \"__main__\": 里。",
            "\nUnder the spawn (and forkserver) start methods every child process runs your module's top-level "
            "code again while it starts: module-level code starts processes, so each child tried to start "
            "another before it had finished starting itself. Code that starts processes (demo code) belongs "
            "under if __name__ == \"__main__\":.")
    return out


# ---------------------------------------------------------------- calling the student's function


def call(func: Callable[..., Any], *args: Any, seconds: float = 8.0, name: str | None = None,
         explain: Callable[[TreeView], Msg | None] | None = None) -> Called:
    """Call ``func(*args)`` in a fresh thread, at most ``seconds``, and stop early on a deadlock.

    On a deadlock or the time limit the check fails with where every process was (and what
    ``explain`` adds about it); an exception from the student's code propagates unchanged
    unless a child process died with an exception of its own, which is then added.
    """
    from autograder import child

    install()
    loc = child.LOCATOR
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = func(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the checking thread
            box["error"] = exc

    caller = threading.Thread(target=run, name=CALLER_THREAD_NAME, daemon=True)
    caller.start()
    watch = DeadlockWatch()
    deadline = time.monotonic() + seconds
    deadlocked = False
    while caller.is_alive() and time.monotonic() < deadline:
        caller.join(POLL)
        if caller.is_alive() and watch.look():
            deadlocked = True
            break
    label = name or getattr(func, "__name__", "?")
    if caller.is_alive():
        tree = view_tree()
        if deadlocked:
            head = Msg(f"{label}() 没有返回：所有进程都停住了，每个都在等别的进程（死锁）。各个进程停在这里：\n",
                       f"{label}() did not return: every process was blocked, each waiting for another "
                       f"(a deadlock). Where each one was:\n")
        else:
            head = Msg(f"{label}() 在 {seconds:g} 秒内没有返回。各个进程停在这里：\n",
                       f"{label}() did not return within {seconds:g} s. Where each process was:\n")
        msg = head + (describe(tree, loc) if loc is not None else Msg("", ""))
        extra = explain(tree) if explain is not None else None
        if extra is not None:
            msg = msg + Msg.same("\n\n") + extra
        raise CheckFailed(msg)
    if "error" in box:
        errors = child_errors()
        if errors and loc is not None:
            from autograder.stacks import describe_exception

            exc = box["error"]
            raise CheckFailed(Msg("你的代码抛出了异常：", "Your code raised an exception: ")
                              + describe_exception(exc, exc.__traceback__, loc) + describe_errors(errors, loc))
        raise box["error"]
    return Called(box.get("value"), caller)


@contextlib.contextmanager
def student_as_main(module: types.ModuleType) -> Iterator[None]:
    """Start spawn and forkserver children as if the student had run ``python their_file.py``: each
    child runs the student's file as ``__mp_main__`` (its top-level code included) while starting."""
    stand_in = types.ModuleType("__main__")
    stand_in.__file__ = module.__file__
    stand_in.__spec__ = None
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = stand_in
    try:
        yield
    finally:
        sys.modules["__main__"] = saved


# ---------------------------------------------------------------- what a call left behind


def leftovers(before: set[int]) -> dict[int, str]:
    """Processes below this one, started since ``before`` (a set of pids), that are still running
    ("alive") or ended without being waited for ("zombie"); multiprocessing's helpers left out."""
    out = {}
    for pid in descendants(os.getpid()):
        if pid in before or is_helper(pid):
            continue
        st = state(pid)
        if st is not None:
            out[pid] = "zombie" if st == "Z" else "alive"
    return out
