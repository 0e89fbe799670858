"""The child process that runs one check against the student's module.

    grader (runner, pytest plugin)          child (this module)
    ------------------------------          -------------------
    write spec.json, Popen in new session -> set limits, hooks, watchdog
                                             import student module   (import_timeout)
                                             run check / probe names (check_timeout)
    wait(hard limit) <--------------------- write result.json, os._exit(0)
    on hard limit: SIGUSR1 (faulthandler), killpg(SIGKILL), sweep the session

The watchdog thread turns a hang into a "timeout" result naming where each of
the student's threads is stuck; the parent's hard limit covers a child whose
watchdog cannot run (a C call holding the GIL) and anything that exits early.
``os._exit`` at the end means a leaked non-daemon student thread cannot hold
the child open.

On Linux the child first splits in two (:func:`_supervise`): a supervisor, the
subreaper of everything below it, and the worker that does all of the above.
Whatever the student starts stays below the supervisor, also a daemon that
double-forks into a session of its own; when the worker ends, however it ends,
the supervisor kills all of it and exits as the worker did.
"""

from __future__ import annotations

import faulthandler
import importlib
import importlib.util
import json
import linecache
import os
import re
import resource
import signal
import sys
import threading
import time
import traceback
from typing import Any

from autograder.checks import CheckFailed
from autograder.i18n import Msg
from autograder.stacks import HELPERS_FILE, VISIBLE_FILE, Locator, describe_exception, stuck_threads

OUTPUT_LIMIT = 16 * 1024 * 1024  # bytes a child may write to a file (its stdout/stderr included)
PR_SET_PDEATHSIG = 1  # linux/prctl.h
PR_SET_CHILD_SUBREAPER = 36

THREAD_ERRORS: list[dict[str, Any]] = []
LOCATOR: Locator | None = None  # set in main(); checks use it to describe stuck threads
_result_lock = threading.Lock()
_done = False
_SUPERVISED = False  # True in a worker whose supervisor cleans up after it


class _Watchdog(threading.Thread):
    """Writes a timeout result with the student's stacks when the deadline passes."""

    def __init__(self, spec: dict, loc: Locator):
        super().__init__(name="kit-watchdog", daemon=True)
        self.spec, self.loc = spec, loc
        self.cond = threading.Condition()
        self.phase = "import"
        self.limit = float(spec["import_timeout"])
        self.deadline = time.monotonic() + self.limit

    def start_phase(self, phase: str, limit: float) -> None:
        with self.cond:
            self.phase, self.limit = phase, limit
            self.deadline = time.monotonic() + limit
            self.cond.notify()

    def run(self) -> None:
        with self.cond:
            while (remaining := self.deadline - time.monotonic()) > 0:
                self.cond.wait(remaining)
            phase, limit = self.phase, self.limit
        stacks = stuck_threads(self.loc, skip={threading.get_ident()})
        secs = f"{limit:g}"
        if phase == "import":
            head = Msg(f"导入你的模块超过 {secs} 秒还没有完成：模块顶层的代码一直在运行"
                       f"（演示代码请放进 if __name__ == \"__main__\": 里）。",
                       f"Importing your module did not finish within {secs} s: code at the top level "
                       f"keeps running (put demo code under if __name__ == \"__main__\":).")
        else:
            head = Msg(f"超时：{secs} 秒内没有完成。", f"Timed out after {secs} s: the check did not finish.")
            hint = self.spec.get("on_timeout")
            if hint:
                head = head + Msg.same(" ") + Msg.from_dict(hint)
        msg = head + Msg("\n你的线程停在这里：\n", "\nWhere your threads were:\n") + stacks
        finish(self.spec, {"outcome": "timeout", "message": msg.to_dict()})


_LOCALS_QUALIFIER = re.compile(r"\b[\w]+\.<locals>\.")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_GRADER_MODULE = re.compile(r"\bautograder(?:\.[\w]+)+")


def scrub(text: str) -> str:
    """Remove what would reveal hidden tests or vary between runs from a message.

    Python's own error texts name callables by qualified name, e.g.
    ``test_greet_joined.<locals>.greet() takes 1 positional argument``: the hidden
    test's name must not reach the student. Object addresses differ on every run.
    """
    text = _LOCALS_QUALIFIER.sub("", text)
    text = _ADDRESS.sub("", text)
    return _GRADER_MODULE.sub("grader", text)


def finish(spec: dict, result: dict) -> None:
    """Write the result once and leave at once (leaked threads cannot keep us alive)."""
    global _done
    with _result_lock:
        if _done:
            return
        _done = True
        errors = _thread_error_msg()
        if errors and result["outcome"] != "passed":
            result["message"] = (Msg.from_dict(result.get("message")) + errors).to_dict()
        if "message" in result:
            result["message"] = {lang: scrub(text) for lang, text in Msg.from_dict(result["message"]).to_dict().items()}
        tmp = spec["result_path"] + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(result, fh, ensure_ascii=False)
        os.replace(tmp, spec["result_path"])
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a student may have replaced or closed it
                pass
        if not _SUPERVISED:
            _end_descendants()
        os._exit(0)


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _become_subreaper() -> bool:
    """Adopt the orphans of every process below this one (Linux), so that a daemon that
    double-forks and calls ``os.setsid()`` stays our descendant."""
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


def _die_with(parent: int) -> None:
    """Be killed when ``parent`` dies (Linux): a grader that is itself killed (Ctrl-C, a batch
    system's limit) takes its children along instead of leaving a stuck one spinning."""
    if _prctl(PR_SET_PDEATHSIG, signal.SIGKILL) and os.getppid() != parent:
        os._exit(1)  # it died before we asked


def _supervise() -> None:
    """Fork (Linux): the new process goes on as the worker and returns; this one stays as
    the supervisor and never returns.

    The supervisor is the subreaper of everything the worker starts, so nothing escapes
    it, not even a process in a session of its own with a cleared environment. When the
    worker ends (``finish``, ``os._exit``, a signal), the supervisor stops and kills every
    process left below it and exits the way the worker did (same code, same signal).
    It ignores SIGUSR1: the parent's request for a stack dump is the worker's to answer.
    """
    global _SUPERVISED
    if not _become_subreaper():
        return
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    supervisor = os.getpid()
    worker = os.fork()
    if worker == 0:
        _SUPERVISED = True
        _die_with(supervisor)
        return
    _, status = os.waitpid(worker, 0)
    _end_descendants()
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        code = 1
    os._exit(code)


def _has_children() -> bool:
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/children") as fh:
                if fh.read().strip():
                    return True
        return False
    except OSError:
        return True  # cannot tell cheaply: look properly


def _end_descendants() -> None:
    """Stop, then kill, every process started by the student's code (orphans included)."""
    if not _has_children():
        return
    try:
        import psutil  # imported here: the child side otherwise needs only the standard library

        from autograder.sandbox import stop_descendants

        found = stop_descendants(os.getpid())
        for proc in found:
            try:
                proc.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(found, timeout=1.0)  # orphans are ours to reap
    except Exception:  # noqa: BLE001 - the parent's sweep is the next net
        pass


def _thread_error_msg() -> Msg | None:
    if not THREAD_ERRORS:
        return None
    out = Msg("\n\n你的线程里出现了异常：", "\n\nAn exception was raised in your threads:")
    for err in sorted(THREAD_ERRORS, key=lambda e: (e["thread"], str(e["what"])))[:5]:  # completion order varies
        out = out + Msg.same("\n") + Msg(f"  线程 {err['thread']}：", f"  in thread {err['thread']}: ")
        out = out + Msg.from_dict(err["what"])
    return out


def _install_hooks(loc: Locator) -> None:
    def on_thread_error(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "?"
        what = describe_exception(args.exc_value, args.exc_traceback, loc)
        THREAD_ERRORS.append({"thread": name, "what": what.to_dict()})

    def on_unraisable(args: Any) -> None:  # _thread.start_new_thread jobs end up here
        if args.exc_type is SystemExit:
            return
        what = describe_exception(args.exc_value, args.exc_traceback, loc)
        THREAD_ERRORS.append({"thread": "_thread", "what": what.to_dict()})

    threading.excepthook = on_thread_error
    sys.unraisablehook = on_unraisable


def _register_source(filename: str, source: str) -> None:
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


def _import_student(spec: dict, loc: Locator) -> Any:
    name, path = spec["module_name"], spec["module_path"]
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # spawned children import the module by name
    if spec.get("instrument"):
        from autograder.interleave.loader import load_instrumented

        if spec.get("schedule"):
            os.environ["KIT_SCHEDULE"] = spec["schedule"]
        return load_instrumented(name, path)
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module


def _import_failure(exc: BaseException, loc: Locator) -> Msg:
    if isinstance(exc, (ValueError, SyntaxError)) and "null bytes" in str(exc):
        return Msg("文件里有空字节（NUL），不是有效的 Python 源代码。",
                   "The file contains NUL bytes: it is not valid Python source.")
    if isinstance(exc, SyntaxError):
        where = loc.where(loc.module_path, exc.lineno or 0)
        text = (exc.text or "").rstrip("\n")
        pointer = ""
        if text and exc.offset:
            pointer = "\n    " + text.strip() + "\n    " + " " * max(0, exc.offset - 1 - (len(text) - len(text.lstrip()))) + "^"
        return Msg(f"语法错误（{where.zh}）：{exc.msg}", f"Syntax error ({where.en}): {exc.msg}") + Msg.same(pointer)
    if isinstance(exc, SystemExit):
        return Msg(f"导入你的模块时调用了 sys.exit({exc.code!r})：演示代码请放进 if __name__ == \"__main__\": 里。",
                   f"Your module called sys.exit({exc.code!r}) while being imported: "
                   f"put demo code under if __name__ == \"__main__\":.")
    return Msg("导入你的模块时出错：", "Importing your module raised an exception: ") + describe_exception(
        exc, exc.__traceback__, loc)


def _run_visible(spec: dict, module: Any) -> None:
    namespace = module.__dict__
    helpers = spec.get("helpers") or ""
    if helpers:
        _register_source(HELPERS_FILE, helpers)
        exec(compile(helpers, HELPERS_FILE, "exec"), namespace)  # noqa: S102 - kit's own code
    code = spec["code"]
    _register_source(VISIBLE_FILE, code)
    exec(compile(code, VISIBLE_FILE, "exec"), namespace)  # noqa: S102 - the visible test cell


def _run_hidden(spec: dict, module: Any) -> None:
    module_name, func_name = spec["target"].split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    func(module)


def _assertion_msg(exc: AssertionError, loc: Locator) -> Msg:
    if isinstance(exc, CheckFailed):
        return exc.msg
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == VISIBLE_FILE]
    text = str(exc)
    if not text and frames:
        text = linecache.getline(VISIBLE_FILE, frames[-1].lineno or 0).strip()
    msg = Msg(f"断言失败：{text}", f"Assertion failed: {text}")
    if frames:
        msg = msg + Msg.same("\n    ") + loc.frame_line(VISIBLE_FILE, frames[-1].lineno or 0, "<test>")
    return msg


def main(spec_path: str) -> None:
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_LIMIT, OUTPUT_LIMIT))
    # Python ignores SIGXFSZ, so a write past the limit would only raise OSError, which a
    # student's loop may swallow and go on printing: let the kernel stop the child instead
    # (the parent reports "printed too much").
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _die_with(int(spec.get("parent_pid") or os.getppid()))
    _supervise()
    faulthandler.register(signal.SIGUSR1, file=open(spec["result_path"] + ".stacks", "w"), all_threads=True)
    global LOCATOR
    loc = LOCATOR = Locator(spec["module_path"], spec["display"], spec.get("cell_starts", []),
                            spec.get("cell_numbers", []))
    _install_hooks(loc)
    watchdog = _Watchdog(spec, loc)
    watchdog.start()
    try:
        module = _import_student(spec, loc)
    except BaseException as exc:  # noqa: BLE001 - anything the student's import does is a verdict
        finish(spec, {"outcome": "import_error", "message": _import_failure(exc, loc).to_dict()})
        return
    if spec["kind"] == "probe":
        present = [n for n in spec.get("names", []) if hasattr(module, n)]
        finish(spec, {"outcome": "passed", "present": present})
        return
    watchdog.start_phase("check", float(spec["check_timeout"]))
    try:
        if spec["kind"] == "visible":
            _run_visible(spec, module)
        else:
            _run_hidden(spec, module)
    except AssertionError as exc:
        finish(spec, {"outcome": "failed", "message": _assertion_msg(exc, loc).to_dict()})
    except SystemExit as exc:
        msg = Msg(f"你的代码调用了 sys.exit({exc.code!r})。", f"Your code called sys.exit({exc.code!r}).")
        finish(spec, {"outcome": "error", "message": msg.to_dict()})
    except BaseException as exc:  # noqa: BLE001
        msg = Msg("你的代码抛出了异常：", "Your code raised an exception: ") + describe_exception(
            exc, exc.__traceback__, loc)
        finish(spec, {"outcome": "error", "message": msg.to_dict()})
    else:
        finish(spec, {"outcome": "passed", "message": {"zh": "", "en": ""}})


if __name__ == "__main__":
    # Run the importable copy of this module, so that checks importing
    # ``autograder.child`` see the same THREAD_ERRORS and LOCATOR.
    from autograder import child as _child

    _child.main(sys.argv[1])
