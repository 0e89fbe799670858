"""Run one child process in a session of its own and always clean it up.

Threads cannot be killed, processes can: a check that hangs is ended by killing
its whole process group, then every process still in its session is swept up
(a student's ``multiprocessing`` children included). Output goes to files,
capped by the child's own RLIMIT_FSIZE, and is read back capped again.

A process that starts a session of its own (``os.setsid()``, a double-forked
daemon) leaves the child's session and its process group, so more nets catch it:

* the child splits into a supervisor and a worker (:func:`autograder.child._supervise`);
  the supervisor is the subreaper (``PR_SET_CHILD_SUBREAPER``) of everything the
  worker starts, so orphans stay its descendants whatever session they are in, and
  when the worker ends, however it ends, it kills them all before it exits;
* on the hard limit the parent freezes (SIGSTOP) the child's whole tree, then kills it
  (:func:`freeze_tree`): a stopped process cannot fork, and the supervisor still holds
  every orphan;
* every child carries ``KIT_SANDBOX_RUN=<unique tag>`` in its environment, which its
  descendants inherit: the parent kills every process with its run's tag;
* the parent holds the child unreaped (a zombie) while it sweeps, so the child's
  pid, group and session ids cannot be reused by an unrelated process meanwhile;
* the supervisor and the worker die with their parent (``PR_SET_PDEATHSIG``), so a
  grader that is itself killed does not leave a stuck check spinning.

What can still escape: a process that kills the supervisor itself (the worker's
parent) and then leaves the session with a cleared environment. Only a kernel
container (a cgroup or a PID namespace per check) closes that; the kit runs without one.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil

import autograder

KIT_ROOT = str(Path(autograder.__file__).resolve().parent.parent)
GRACE = 2.0  # seconds the parent waits past the child's own deadline before killing it
READ_CAP = 64 * 1024
RUN_TAG = "KIT_SANDBOX_RUN"  # environment variable marking every process of one run


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


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _tagged(proc: psutil.Process, tag: str) -> bool:
    try:
        return proc.environ().get(RUN_TAG) == tag
    except (psutil.Error, OSError):
        return False


def _session_and_tagged(sid: int, tag: str | None, since: float) -> list[psutil.Process]:
    """Processes of session ``sid``, and processes started since ``since`` that carry ``tag``."""
    me = os.getpid()
    found = []
    for proc in psutil.process_iter(["create_time"]):
        if proc.pid == me:
            continue
        try:
            if os.getsid(proc.pid) == sid:
                found.append(proc)
                continue
        except (ProcessLookupError, PermissionError):
            continue
        created = proc.info.get("create_time") or 0.0
        if tag and created >= since and _tagged(proc, tag):
            found.append(proc)
    return found


def _tree(leader: int) -> list[psutil.Process]:
    try:
        return psutil.Process(leader).children(recursive=True)
    except psutil.Error:
        return []


def freeze_tree(leader: int) -> list[psutil.Process]:
    """SIGSTOP ``leader`` and all its descendants until no new one appears; the frozen list.

    Only call this while ``leader`` is unreaped (its pid cannot belong to anyone else).
    A stopped process cannot fork, and orphans stay descendants of a living subreaper.
    """
    try:
        os.killpg(leader, signal.SIGSTOP)
        _wait_stopped([psutil.Process(leader)])
    except (ProcessLookupError, PermissionError, psutil.Error):
        pass
    return stop_descendants(leader)


def _wait_stopped(procs: list[psutil.Process], timeout: float = 0.5) -> None:
    """Until each process is really stopped (or gone): SIGSTOP is delivered asynchronously,
    and a process that has been sent it but still runs can fork once more (bounded)."""
    deadline = time.monotonic() + timeout
    pending = procs
    while pending and time.monotonic() < deadline:
        pending = [p for p in pending if _status(p) not in (psutil.STATUS_STOPPED, psutil.STATUS_ZOMBIE, None)]
        if pending:
            time.sleep(0.002)


def _status(proc: psutil.Process) -> str | None:
    try:
        return proc.status()
    except psutil.Error:
        return None


def stop_descendants(pid: int) -> list[psutil.Process]:
    """SIGSTOP every descendant of ``pid`` until no new one appears (a stopped process cannot fork)."""
    stopped: dict[int, psutil.Process] = {}
    for _ in range(50):
        new = [p for p in _tree(pid) if p.pid not in stopped]
        if not new:
            break
        for proc in new:
            stopped[proc.pid] = proc
            try:
                proc.send_signal(signal.SIGSTOP)
            except psutil.Error:
                pass
        _wait_stopped(new)  # only then can a rescan be sure nothing new is being forked
    return list(stopped.values())


def kill_session(sid: int, tag: str | None = None, since: float = 0.0,
                 extra: list[psutil.Process] | None = None) -> None:
    """Kill every process in session ``sid``, every process started since ``since`` carrying the
    environment tag ``tag``, and ``extra``, until none is left.

    The session leader (pid ``sid``) is killed but never reaped here: its ``Popen`` reaps it.
    """
    pending = list(extra or [])
    for _ in range(20):
        try:
            os.killpg(sid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        alive = []
        for proc in pending + _session_and_tagged(sid, tag, since):
            if not _alive(proc):
                continue
            try:
                proc.kill()
            except psutil.Error:
                continue
            if proc.pid != sid:
                alive.append(proc)
        pending = []
        if not alive:
            return
        deadline = time.monotonic() + 0.5
        while alive and time.monotonic() < deadline:
            time.sleep(0.01)
            alive = [p for p in alive if _alive(p)]


def _ask_for_stacks(leader: int) -> None:
    """SIGUSR1 (the worker's faulthandler dumps every thread) to the child's group, and to the
    worker if it left the group (a student's ``os.setsid()``), never twice to one process."""
    try:
        os.killpg(leader, signal.SIGUSR1)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        for proc in psutil.Process(leader).children():
            if os.getpgid(proc.pid) != leader:
                proc.send_signal(signal.SIGUSR1)
    except (psutil.Error, ProcessLookupError, PermissionError):
        pass


def _wait_unreaped(proc: subprocess.Popen, timeout: float) -> bool:
    """Wait until ``proc`` exits, leaving it a zombie (not reaped); False on timeout."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # no pidfd (not Linux >= 5.3): reap, as before
        try:
            proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(max(0, int(timeout * 1000))))
    finally:
        os.close(fd)


def run_child(spec: dict, workdir: Path, tag: str) -> ChildRun:
    """Run ``autograder.child`` with ``spec`` in ``workdir``; never raises for what the child does."""
    result_path = workdir / f"{tag}.result.json"
    spec = dict(spec, result_path=str(result_path), parent_pid=os.getpid())
    spec_path = workdir / f"{tag}.spec.json"
    spec_path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    out_path, err_path = workdir / f"{tag}.stdout", workdir / f"{tag}.stderr"
    hard_limit = float(spec["import_timeout"]) + float(spec.get("check_timeout", 0)) + GRACE
    killed = False
    run_tag = uuid.uuid4().hex
    env = dict(child_env(), **{RUN_TAG: run_tag})
    since = time.time() - 2.0  # process start times are known to the clock tick, boot time to the second
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [spec.get("python") or sys.executable, "-m", "autograder.child", str(spec_path)],
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            start_new_session=True,
        )
        frozen: list[psutil.Process] = []
        try:
            if not _wait_unreaped(proc, hard_limit):
                killed = True
                _ask_for_stacks(proc.pid)
                time.sleep(0.3)
                frozen = freeze_tree(proc.pid)
        finally:
            kill_session(proc.pid, run_tag, since, frozen)
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
