"""Hooks for every Python process a check starts (standard library only, run at start-up).

:func:`autograder.proctree.install` puts this folder on ``PYTHONPATH`` and names a report
folder in ``KIT_PROCTREE_DIR``. A spawned or forkserver child is a fresh interpreter, so
it inherits none of the check's handlers; ``site`` imports this module in it at start-up:

* ``faulthandler`` dumps every thread's stack into ``stacks-<pid>`` on SIGUSR1, so a hung
  child can say where it is stuck (a process forked from this one re-registers for its pid);
* an uncaught exception (a child that dies while starting, e.g. module-level code that
  starts a process during the bootstrapping phase) is also written to ``error-<pid>.json``.
"""

import faulthandler
import json
import os
import signal
import sys
import traceback

ENV = "KIT_PROCTREE_DIR"
_installed = {}


def install(folder):
    """Register the stack-dump handler and the exception record for this process (and forks)."""
    pid = os.getpid()
    if _installed.get("pid") == pid:
        return
    first = not _installed
    _installed["pid"] = pid
    try:
        dump = open(os.path.join(folder, f"stacks-{pid}"), "w")  # noqa: SIM115 - open for the process's life
        faulthandler.register(signal.SIGUSR1, file=dump, all_threads=True)
        _installed["dump"] = dump
    except (OSError, ValueError, RuntimeError):
        return
    if not first:
        return
    previous = sys.excepthook

    def record(exc_type, exc, tb):
        try:
            frames = [[f.filename, f.lineno or 0, f.name] for f in traceback.extract_tb(tb)]
            data = {"type": exc_type.__name__, "message": str(exc), "frames": frames}
            path = os.path.join(folder, f"error-{os.getpid()}.json")
            with open(path + ".tmp", "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False)
            os.replace(path + ".tmp", path)
        except Exception:  # noqa: BLE001 - never hide the original error
            pass
        previous(exc_type, exc, tb)

    sys.excepthook = record
    os.register_at_fork(after_in_child=lambda: install(folder))


if __name__ == "sitecustomize" and os.environ.get(ENV):
    install(os.environ[ENV])
