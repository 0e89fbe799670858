"""autograder.proctree: the deadlock detector, the children's stack dumps, leftovers.

Each scenario runs in a fresh interpreter (``proctree.install`` changes the environment of
the process that calls it) and prints one JSON line with what it saw.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="proctree reads /proc")

PRELUDE = """
import json, multiprocessing, os, sys, threading, time
from autograder import proctree


def block_on(conn):
    conn.recv()  # nobody ever sends: blocked for good


def nap(seconds):
    time.sleep(seconds)


def until_deadlock(limit=10.0):
    watch = proctree.DeadlockWatch()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if watch.look():
            return True
        time.sleep(proctree.POLL)
    return False
"""


def run_scenario(tmp_path: Path, body: str, timeout: float = 60.0) -> dict:
    script = tmp_path / "scenario.py"
    script.write_text(PRELUDE + "\nif __name__ == '__main__':\n" + textwrap.indent(textwrap.dedent(body), "    "),
                      encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=timeout,
                          cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                          start_new_session=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_deadlock_found_and_stacks_dumped(tmp_path, method):
    got = run_scenario(tmp_path, f"""
        multiprocessing.set_start_method({method!r})
        proctree.install()
        reader, writer = multiprocessing.Pipe(duplex=False)
        child = multiprocessing.Process(target=block_on, args=(reader,))
        child.start()
        joiner = threading.Thread(target=child.join, name="student-join")
        joiner.start()
        found = until_deadlock()
        dumps = proctree.request_stacks([child.pid])
        threads = proctree._dump_threads(dumps.get(child.pid, ""))
        funcs = [f[2] for _, frames in threads for f in frames]
        child.kill()
        joiner.join()
        print(json.dumps({{"found": found, "funcs": funcs, "labels": [l.en for l, _ in threads]}}))
    """)
    assert got["found"]
    assert "block_on" in got["funcs"]
    assert got["labels"][0] == "main thread"


def test_sleeping_child_is_no_deadlock(tmp_path):
    got = run_scenario(tmp_path, """
        multiprocessing.set_start_method("fork")
        child = multiprocessing.Process(target=nap, args=(2.0,))
        child.start()
        joiner = threading.Thread(target=child.join, name="student-join")
        joiner.start()
        found = until_deadlock(limit=1.5)
        joiner.join()
        print(json.dumps({"found": found}))
    """)
    assert not got["found"]


def test_blocked_forever_only_without_timeout(tmp_path):
    got = run_scenario(tmp_path, """
        lock = threading.Lock()
        lock.acquire()
        forever = threading.Thread(target=lock.acquire, daemon=True)
        timed = threading.Thread(target=lock.acquire, kwargs={"timeout": 30}, daemon=True)
        forever.start(); timed.start()
        time.sleep(0.3)
        states = {name: proctree.thread_state(os.getpid(), t.native_id).forever
                  for name, t in (("forever", forever), ("timed", timed))}
        print(json.dumps(states))
    """)
    assert got == {"forever": True, "timed": False}


def test_leftovers_alive_and_zombie(tmp_path):
    got = run_scenario(tmp_path, """
        multiprocessing.set_start_method("fork")
        before = set(proctree.descendants(os.getpid()))
        alive = multiprocessing.Process(target=nap, args=(30,))
        ended = multiprocessing.Process(target=nap, args=(0,))
        alive.start(); ended.start()
        deadline = time.monotonic() + 5
        while proctree.state(ended.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        left = proctree.leftovers(before)
        out = {"alive": left.get(alive.pid), "ended": left.get(ended.pid)}
        alive.kill(); alive.join(); ended.join()
        out["after"] = proctree.leftovers(before)
        print(json.dumps(out))
    """)
    assert got == {"alive": "alive", "ended": "zombie", "after": {}}


def test_child_error_recorded(tmp_path):
    """A spawned child that dies while starting reports its exception (through sitecustomize)."""
    (tmp_path / "broken.py").write_text("raise RuntimeError('broken at import')\n", encoding="utf-8")
    got = run_scenario(tmp_path, """
        sys.path.insert(0, os.getcwd())
        multiprocessing.set_start_method("spawn")
        proctree.install()
        import types
        stand_in = types.ModuleType("broken")
        stand_in.__file__ = os.path.join(os.getcwd(), "broken.py")
        with proctree.student_as_main(stand_in):
            child = multiprocessing.Process(target=time.sleep, args=(0,))
            child.start()
            child.join()
        print(json.dumps({"errors": [e["message"] for e in proctree.child_errors().values()]}))
    """)
    assert got["errors"] == ["broken at import"]
