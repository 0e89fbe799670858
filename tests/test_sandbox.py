"""Unit tests of the sandbox (``run_child``, ``kill_session``, ``freeze_tree``) and of what the
student is told (``stacks``: locations, notebook cells, stuck threads, thread exceptions).

The child is driven directly with small hand-written modules and visible-test code, so these
tests do not depend on any problem set's content.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder import sandbox
from autograder.runner import interpret
from autograder.stacks import VISIBLE_FILE, Locator, fault_stacks
from autograder.submission import notebook_code

try:  # tests/ may or may not be a package
    from tests.conftest import KIT_ROOT, MARK, leftovers
except ImportError:  # pragma: no cover
    from conftest import KIT_ROOT, MARK, leftovers

if sys.platform != "linux":  # pragma: no cover
    pytest.skip("the sandbox is Linux-only", allow_module_level=True)

# Ignores SIGTERM, says it has started by creating the file named by its first argument, sleeps.
STUBBORN = ("import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "open(sys.argv[1], 'a').close(); time.sleep(1000)")
GRADER_FILES = ("child.py", "sandbox.py", "runner.py", "checks.py", "threading.py", "kit-watchdog", "autograder")


def line_of(source: str, text: str) -> int:
    """The 1-based line of ``source`` holding ``text`` (exactly once)."""
    hits = [i for i, line in enumerate(source.splitlines(), start=1) if text in line]
    assert len(hits) == 1, (text, hits)
    return hits[0]


class Child:
    """Writes a student module into a folder and runs checks against it in the sandbox."""

    def __init__(self, folder: Path, source: str, *, display: str = "threads.py",
                 cell_starts: list[int] | None = None, cell_numbers: list[int] | None = None):
        self.folder, self.source = folder, textwrap.dedent(source)
        self.path = folder / "threads.py"
        self.path.write_text(self.source, encoding="utf-8")
        self.display = display
        self.cell_starts, self.cell_numbers = cell_starts or [], cell_numbers or []
        self.count = 0

    def spec(self, kind: str, **extra) -> dict:
        return dict({"module_name": "threads", "module_path": str(self.path), "display": self.display,
                     "cell_starts": self.cell_starts, "cell_numbers": self.cell_numbers,
                     "import_timeout": 2, "check_timeout": 2, "kind": kind}, **extra)

    def probe(self, **extra) -> sandbox.ChildRun:
        return self.run(self.spec("probe", names=["run", "missing"], check_timeout=0, **extra))

    def visible(self, code: str, **extra) -> sandbox.ChildRun:
        return self.run(self.spec("visible", code=textwrap.dedent(code), helpers="", **extra))

    def run(self, spec: dict) -> sandbox.ChildRun:
        self.count += 1
        return sandbox.run_child(spec, self.folder, f"t{self.count}")

    def locator(self) -> Locator:
        return Locator(str(self.path), self.display, self.cell_starts, self.cell_numbers)

    def message(self, run: sandbox.ChildRun, limit: float = 2) -> tuple[str, object]:
        outcome, msg = interpret(run, limit=limit, loc=self.locator())
        return outcome, msg


@pytest.fixture
def marked(monkeypatch, tmp_path):
    """A marker in the environment every child inherits; checks nothing is left at the end."""
    mark = f"sandbox-{uuid.uuid4().hex}"
    monkeypatch.setenv(MARK, mark)
    yield mark
    assert leftovers(mark, str(tmp_path)) == []


# ----------------------------------------------------------------- run_child basics

def test_probe_reports_which_names_exist(tmp_path, marked):
    run = Child(tmp_path, "def run():\n    return 1\n").probe()
    assert run.result == {"outcome": "passed", "present": ["run"]}
    assert run.returncode == 0 and not run.killed


def test_visible_check_passes_and_fails_with_the_assertion(tmp_path, marked):
    child = Child(tmp_path, "def run():\n    return 1\n")
    assert child.visible("assert run() == 1").result["outcome"] == "passed"
    failed = child.visible("x = run()\nassert x == 2").result
    assert failed["outcome"] == "failed"
    assert "Assertion failed: assert x == 2" in failed["message"]["en"]
    assert "visible test, line 2" in failed["message"]["en"]
    assert "可见测试第 2 行" in failed["message"]["zh"]


def test_child_runs_in_its_folder_with_no_stdin_and_its_output_captured(tmp_path, marked):
    child = Child(tmp_path, """
        import os, sys
        def run():
            print("cwd", os.getcwd())
            print("oops", file=sys.stderr)
            return sys.stdin.read()
    """)
    run = child.visible("assert run() == ''")
    assert run.result["outcome"] == "passed"
    assert f"cwd {tmp_path}" in run.stdout
    assert run.stderr == "oops\n"


def test_output_is_read_back_capped(tmp_path, marked):
    run = Child(tmp_path, "def run():\n    print('y' * 200_000)\n").visible("run()")
    assert run.result["outcome"] == "passed"
    assert len(run.stdout) <= sandbox.READ_CAP + 10 and run.stdout.endswith("\n...")


def test_os_exit_code_comes_back_unchanged(tmp_path, marked):
    exited = Child(tmp_path, "import os\nos._exit(3)\n").probe()
    assert exited.result is None and exited.returncode == 3 and not exited.killed
    outcome, msg = Child(tmp_path, "").message(exited)
    assert outcome == "crashed" and "exited with code 3" in msg.en and "退出码 3" in msg.zh


def test_output_flood_is_stopped_by_the_kernel_even_if_the_error_is_caught(tmp_path, marked):
    child = Child(tmp_path, "def run():\n    while True:\n        try:\n            print('z' * 65536)\n"
                            "        except OSError:\n            pass\n")
    flood = child.visible("run()")
    assert flood.returncode == -signal.SIGXFSZ and not flood.killed
    assert (tmp_path / "t1.stdout").stat().st_size <= 16 * 2**20
    outcome, msg = child.message(flood)
    assert outcome == "crashed" and "printed too much" in msg.en and "输出太多" in msg.zh


# ----------------------------------------------------------------- timeouts and stacks

STUCK = """
import threading

def stuck():
    threading.Event().wait()

def run():
    workers = [threading.Thread(target=stuck, name=f"worker-{i}", daemon=True) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
"""


def test_timeout_names_file_line_and_code_of_every_stuck_thread(tmp_path, marked):
    child = Child(tmp_path, STUCK)
    run = child.visible("run()", check_timeout=0.3)
    assert run.result["outcome"] == "timeout" and not run.killed
    en, zh = run.result["message"]["en"], run.result["message"]["zh"]
    assert en.startswith("Timed out after 0.3 s")
    wait_line, join_line = line_of(child.source, "Event().wait()"), line_of(child.source, "w.join()")
    for name in ("worker-0", "worker-1"):
        block = en.split(f"thread {name}:")[1].split("thread ")[0]
        assert f"threads.py, line {wait_line}, in stuck(): threading.Event().wait()" in block
        assert "(waiting inside wait())" in block
    main = en.split("main thread:")[1]
    assert f"threads.py, line {join_line}, in run(): w.join()" in main
    assert "visible test, line 1, in <module>(): run()" in main
    assert "线程 worker-0" in zh and "主线程" in zh
    for name in GRADER_FILES:
        assert name not in en, name


def notebook_child(folder: Path, cells: list[str]) -> Child:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 标题")] + [nbformat.v4.new_code_cell(c) for c in cells]
    source, starts, numbers, _ = notebook_code(nb, {})
    child = Child(folder, "", display="threads.ipynb", cell_starts=starts, cell_numbers=numbers)
    child.source = source
    child.path.write_text(source, encoding="utf-8")
    return child


def test_notebook_locations_name_the_cell_and_its_line(tmp_path, marked):
    child = notebook_child(tmp_path, ["import threading", "x = 1\n%time x",
                                      "def run():\n    threading.Event().wait()",
                                      "def boom(n):\n    # a comment\n    return 10 // n"])
    run = child.visible("run()", check_timeout=0.3)
    assert "threads.ipynb, cell 4, line 2, in run(): threading.Event().wait()" in run.result["message"]["en"]
    assert "threads.ipynb 第 4 个单元格第 2 行" in run.result["message"]["zh"]
    raised = child.visible("boom(0)").result
    assert raised["outcome"] == "error"
    assert "ZeroDivisionError" in raised["message"]["en"]
    assert "threads.ipynb, cell 5, line 3, in boom(): return 10 // n" in raised["message"]["en"]
    failed = child.visible("raise_here = 1\nassert raise_here == 2")
    assert "visible test, line 2" in failed.result["message"]["en"]


def test_locator_maps_module_lines_to_cells():
    loc = Locator("/w/threads.py", "threads.ipynb", cell_starts=[1, 4, 10], cell_numbers=[2, 3, 7])
    assert loc.where("/w/threads.py", 1).en == "threads.ipynb, cell 2, line 1"
    assert loc.where("/w/threads.py", 5).en == "threads.ipynb, cell 3, line 2"
    assert loc.where("/w/threads.py", 12).zh == "threads.ipynb 第 7 个单元格第 3 行"
    assert loc.where(VISIBLE_FILE, 3).en == "visible test, line 3"
    plain = Locator("/w/threads.py", "threads.py")
    assert plain.where("/w/threads.py", 9).en == "threads.py, line 9"
    assert loc.is_student("/w/threads.py") and loc.is_student(VISIBLE_FILE)
    assert not loc.is_student("/usr/lib/python3/threading.py")


def test_gil_holding_call_is_killed_by_the_hard_limit(tmp_path, marked):
    child = notebook_child(tmp_path, ["import re", "def run():\n    total = sum(range(10 ** 12))\n    return total"])
    run = child.visible("run()", import_timeout=1, check_timeout=0.2)
    assert run.killed and run.result is None and run.returncode == -signal.SIGKILL
    outcome, msg = child.message(run, limit=0.2)
    assert outcome == "timeout"
    assert msg.en.startswith("Timed out after 0.2 s and the program did not respond")
    assert "main thread:" in msg.en
    assert "threads.ipynb, cell 3, line 2, in run(): total = sum(range(10 ** 12))" in msg.en
    assert "超时" in msg.zh and "threads.ipynb 第 3 个单元格第 2 行" in msg.zh
    for name in GRADER_FILES:
        assert name not in msg.en, name


def test_fault_stacks_keeps_student_frames_only():
    dump = textwrap.dedent("""\
        Thread 0x00007f056236a6c0 (most recent call first):
          File "/usr/lib/python3.11/threading.py", line 331 in wait
          File "/kit/autograder/child.py", line 66 in run
          File "/usr/lib/python3.11/threading.py", line 1002 in _bootstrap

        Thread 0x00007f0562000000 (most recent call first):
          File "/usr/lib/python3.11/re/__init__.py", line 166 in match
          File "/w/threads.py", line 5 in worker
          File "/usr/lib/python3.11/threading.py", line 1002 in _bootstrap

        Current thread 0x00007f0563211b80 (most recent call first):
          File "/w/threads.py", line 2 in <module>
          File "<frozen importlib._bootstrap>", line 241 in _call_with_frames_removed
          File "/kit/autograder/child.py", line 212 in main
          File "<frozen runpy>", line 198 in _run_module_as_main
        """)
    loc = Locator("/w/threads.py", "threads.ipynb", cell_starts=[1, 4], cell_numbers=[1, 3])
    text = fault_stacks(dump, loc).en
    assert text.splitlines() == [
        "thread 1:",
        "    threads.ipynb, cell 3, line 2, in worker()",
        "      (inside match())",
        "main thread:",
        "    threads.ipynb, cell 1, line 2, in <module>()",
    ]
    assert fault_stacks("", loc).en == "(no thread is inside your code)"


# ----------------------------------------------------------------- thread exceptions

def test_exception_in_a_threading_thread_is_the_reason(tmp_path, marked):
    child = Child(tmp_path, """
        import threading
        def boom():
            raise ValueError("bad value 42")
        def run():
            t = threading.Thread(target=boom, name="boomer")
            t.start()
            t.join()
    """)
    run = child.visible("run()\nassert False, 'the result is missing'")
    msg = run.result["message"]
    assert run.result["outcome"] == "failed"
    assert "An exception was raised in your threads:" in msg["en"]
    assert "in thread boomer: ValueError: bad value 42" in msg["en"]
    line = line_of(child.source, "raise ValueError")
    assert f"threads.py, line {line}, in boom(): raise ValueError(\"bad value 42\")" in msg["en"]
    assert "你的线程里出现了异常" in msg["zh"] and "线程 boomer" in msg["zh"]
    assert "Traceback" not in run.stderr  # the hook took it: nothing printed


def test_exception_in_a_start_new_thread_job_is_the_reason(tmp_path, marked):
    child = Child(tmp_path, """
        import _thread
        def job(n):
            return 10 // n
        def run():
            _thread.start_new_thread(job, (0,))
    """)
    code = """
        import sys, threading
        reported = threading.Event()
        grader_hook = sys.unraisablehook
        def hook(args):
            grader_hook(args)
            reported.set()
        sys.unraisablehook = hook
        run()
        reported.wait(5)
        assert False, 'the job did not finish'
    """
    run = child.visible(code)
    msg = run.result["message"]["en"]
    assert "in thread _thread: ZeroDivisionError: integer division or modulo by zero" in msg
    assert f"threads.py, line {line_of(child.source, '10 // n')}, in job(): return 10 // n" in msg
    assert "Traceback" not in run.stderr


# ----------------------------------------------------------------- nothing escapes

def _daemon_code(started: Path, *, clear_env: bool) -> str:
    """``_daemon()`` double-forks a daemon into a session of its own and returns once it runs."""
    env = "{}" if clear_env else "dict(os.environ)"
    return f"""
import os, sys, time
def _daemon():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execve(sys.executable, [sys.executable, "-c", {STUBBORN!r}, {str(started)!r}], {env})
        os._exit(0)
    os.wait()
    while not os.path.exists({str(started)!r}):
        time.sleep(0.01)
"""


@pytest.mark.parametrize("ending", ["normal", "os_exit", "signal", "gil"])
def test_daemon_in_a_session_of_its_own_with_no_environment_is_killed(tmp_path, marked, ending):
    """Neither the session sweep nor the environment tag can find it: the supervisor does
    (normal, os._exit, killed by a signal), or the parent's tree freeze (hard limit)."""
    started = tmp_path / f"escapee-{uuid.uuid4().hex}"
    tail = {"normal": "", "os_exit": "    os._exit(0)\n",
            "signal": "    os.kill(os.getpid(), 9)\n", "gil": "    sum(range(10 ** 12))\n"}[ending]
    child = Child(tmp_path, _daemon_code(started, clear_env=True) + "def run():\n    _daemon()\n" + tail)
    run = child.visible("run()", import_timeout=1, check_timeout=1)
    assert started.exists(), "the daemon never ran"
    assert run.killed == (ending == "gil")
    assert run.result is None if ending != "normal" else run.result["outcome"] == "passed"
    assert leftovers(marked, str(started)) == []


def test_daemon_that_kills_the_supervisor_is_found_by_its_environment_tag(tmp_path, marked):
    started = tmp_path / f"escapee-{uuid.uuid4().hex}"
    child = Child(tmp_path, _daemon_code(started, clear_env=False)
                  + "def run():\n    _daemon()\n    os.kill(os.getppid(), 9)\n    os._exit(0)\n")
    child.visible("run()")
    assert started.exists(), "the daemon never ran"
    assert leftovers(marked, str(started)) == []


def test_known_limit_daemon_with_no_environment_that_kills_the_supervisor_escapes(tmp_path, marked):
    """Documented in autograder/sandbox.py: without a kernel container, a process that kills
    the supervisor and leaves with a cleared environment cannot be attributed to its run."""
    started = tmp_path / f"escapee-{uuid.uuid4().hex}"
    child = Child(tmp_path, _daemon_code(started, clear_env=True)
                  + "def run():\n    _daemon()\n    os.kill(os.getppid(), 9)\n    os._exit(0)\n")
    child.visible("run()")
    assert started.exists(), "the daemon never ran"
    escaped = [p for p in psutil.process_iter(["cmdline"]) if str(started) in " ".join(p.info["cmdline"] or [])]
    for proc in escaped:  # ours: end it by pid
        proc.kill()
    psutil.wait_procs(escaped, timeout=5)
    assert len(escaped) == 1, "the known limit is closed: update autograder/sandbox.py and this test"


# ----------------------------------------------------------------- kill_session

def _session_with_grandchild(token: str, env: dict | None = None) -> subprocess.Popen:
    script = (f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {STUBBORN!r}, "
              f"'/dev/null', {token!r}]); time.sleep(1000)")
    return subprocess.Popen([sys.executable, "-c", script, token], start_new_session=True,
                            stdin=subprocess.DEVNULL, env=env)


def _wait_for(token: str, count: int) -> None:
    """Until ``count`` processes carry ``token``: they start asynchronously (bounded)."""
    deadline = time.monotonic() + 10
    while len(leftovers("-", token)) < count:
        assert time.monotonic() < deadline, "the test processes did not start"
        time.sleep(0.02)


def test_kill_session_kills_the_group_and_stragglers_but_leaves_the_leader_to_popen(marked):
    token = f"session-{uuid.uuid4().hex}"
    proc = _session_with_grandchild(token)
    _wait_for(token, 2)
    sandbox.kill_session(proc.pid)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the leader's status belongs to its Popen"
    assert leftovers("-", token) == []


def test_kill_session_kills_tagged_processes_in_other_sessions(marked):
    token, tag = f"tagged-{uuid.uuid4().hex}", uuid.uuid4().hex
    since = time.time() - 2
    leader = _session_with_grandchild(token + "-leader")
    other = _session_with_grandchild(token, env=dict(os.environ, **{sandbox.RUN_TAG: tag}))
    _wait_for(token, 4)
    sandbox.kill_session(leader.pid, tag, since)
    leader.wait()
    other.wait()
    assert leftovers("-", token) == []


def test_freeze_tree_stops_every_descendant(marked):
    token = f"frozen-{uuid.uuid4().hex}"
    proc = _session_with_grandchild(token)
    _wait_for(token, 2)
    frozen = sandbox.freeze_tree(proc.pid)
    try:
        assert len(frozen) == 1 and frozen[0].status() == psutil.STATUS_STOPPED
        assert psutil.Process(proc.pid).status() == psutil.STATUS_STOPPED
    finally:
        sandbox.kill_session(proc.pid, extra=frozen)
        proc.wait()
    assert leftovers("-", token) == []


def test_children_die_with_a_killed_grader(tmp_path, marked):
    """A grader killed mid-check (Ctrl-C, a batch system's limit) takes its child along,
    even one stuck in a C call holding the GIL, which no watchdog can end."""
    started = tmp_path / "started"
    child = Child(tmp_path, f"open({str(started)!r}, 'w').close()\nsum(range(10 ** 12))\n")
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        from autograder import sandbox
        sandbox.run_child(json.loads(sys.argv[1]), Path({str(tmp_path)!r}), "killed")
    """), encoding="utf-8")
    spec = child.spec("probe", names=[], import_timeout=600, check_timeout=0)
    grader = subprocess.Popen([sys.executable, str(driver), json.dumps(spec)], cwd=KIT_ROOT)
    deadline = time.monotonic() + 30
    while not started.exists():  # the check is running
        assert time.monotonic() < deadline and grader.poll() is None, "the check never started"
        time.sleep(0.02)
    below = psutil.Process(grader.pid).children(recursive=True)
    assert len(below) == 2  # the supervisor and its worker
    grader.kill()
    grader.wait()
    _, alive = psutil.wait_procs(below, timeout=10)
    assert alive == []


def test_stacks_and_cleanup_of_a_worker_that_left_its_session(tmp_path, marked):
    child = Child(tmp_path, "import os\ndef run():\n    os.setsid()\n    total = sum(range(10 ** 12))\n")
    run = child.visible("run()", import_timeout=1, check_timeout=0.2)
    assert run.killed
    outcome, msg = child.message(run, limit=0.2)
    assert outcome == "timeout"
    assert "threads.py, line 4, in run(): total = sum(range(10 ** 12))" in msg.en
