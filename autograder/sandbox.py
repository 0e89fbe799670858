"""Run one child process in a session of its own and always clean it up.

Threads cannot be killed, processes can: a check that hangs is ended by killing
its whole process group, then every process still in its session is swept up
(a student's ``multiprocessing`` children included). Output goes to files,
capped by the child's own RLIMIT_FSIZE, and is read back capped again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

import autograder

KIT_ROOT = str(Path(autograder.__file__).resolve().parent.parent)
GRACE = 2.0  # seconds the parent waits past the child's own deadline before killing it
READ_CAP = 64 * 1024


@dataclass
class ChildRun:
    result: dict | None  # what the child wrote, None if it died without writing
    returncode: int | None
    stdout: str
    stderr: str
    killed: bool  # the parent's hard limit fired
    fault_stacks: str  # faulthandler's dump when the parent had to kill it


def _read_capped(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read(READ_CAP + 1)
    except OSError:
        return ""
    text = data[:READ_CAP].decode("utf-8", "replace")
    if len(data) > READ_CAP:
        text += "\n..."
    return text


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "COV_"))}
    env.update(
        PYTHONPATH=KIT_ROOT,
        PYTHONHASHSEED="0",
        PYTHONUNBUFFERED="1",
        PYTHONIOENCODING="utf-8",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def kill_session(sid: int) -> None:
    """Kill every process in session ``sid`` (its group first, then stragglers) until none is left."""
    for _ in range(20):
        try:
            os.killpg(sid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        left = []
        for proc in psutil.process_iter(["pid"]):
            try:
                if proc.pid != os.getpid() and os.getsid(proc.pid) == sid:
                    left.append(proc)
            except (ProcessLookupError, PermissionError, psutil.Error):
                continue
        alive = []
        for proc in left:
            try:
                if proc.status() != psutil.STATUS_ZOMBIE:
                    proc.kill()
                    alive.append(proc)
            except psutil.Error:
                continue
        if not alive:
            return
        psutil.wait_procs(alive, timeout=0.5)


def run_child(spec: dict, workdir: Path, tag: str) -> ChildRun:
    """Run ``autograder.child`` with ``spec`` in ``workdir``; never raises for what the child does."""
    result_path = workdir / f"{tag}.result.json"
    spec = dict(spec, result_path=str(result_path))
    spec_path = workdir / f"{tag}.spec.json"
    spec_path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    out_path, err_path = workdir / f"{tag}.stdout", workdir / f"{tag}.stderr"
    hard_limit = float(spec["import_timeout"]) + float(spec.get("check_timeout", 0)) + GRACE
    killed = False
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.child", str(spec_path)],
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=child_env(),
            start_new_session=True,
        )
        try:
            proc.wait(timeout=hard_limit)
        except subprocess.TimeoutExpired:
            killed = True
            try:
                os.killpg(proc.pid, signal.SIGUSR1)  # faulthandler dumps every thread
            except ProcessLookupError:
                pass
            time.sleep(0.3)
        finally:
            kill_session(proc.pid)
            proc.wait()
    result = None
    if result_path.exists():
        try:
            result = json.loads(result_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result = None
    stacks_path = Path(str(result_path) + ".stacks")
    return ChildRun(
        result=result,
        returncode=proc.returncode,
        stdout=_read_capped(out_path),
        stderr=_read_capped(err_path),
        killed=killed,
        fault_stacks=_read_capped(stacks_path) if killed else "",
    )
