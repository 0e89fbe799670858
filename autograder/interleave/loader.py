"""Import the student's module with scheduling points and the kit's primitives.

The module gets its own ``__builtins__`` whose ``__import__`` hands out the kit's
``threading``, ``time`` and ``queue`` (also for imports inside functions), so
nothing outside the student's module is patched: the grader, pytest and the
standard library keep the real ones.
"""

from __future__ import annotations

import builtins
import sys
import types
from typing import Any

from autograder.interleave import primitives, scheduler
from autograder.interleave.rewrite import POINT, READ, WROTE, instrument
from autograder.interleave.scheduler import Where, current_task


def _simple(value: Any) -> Any:
    """What the trace keeps of a value: small plain values as they are, anything else by type."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value if len(value) <= 40 else value[:37] + "..."
    return f"<{type(value).__name__}>"


def _hooks(filename: str) -> dict[str, Any]:
    def point(line: int) -> None:
        task = current_task()
        if task is not None:
            task.run.point(task)

    def read(label: str, value: Any, line: int, and_point: bool) -> None:
        task = current_task()
        if task is None:
            return
        task.run.note("read", label, _simple(value), Where(filename, line, sys._getframe(1).f_code.co_name))
        if and_point:
            task.run.point(task)

    def wrote(label: str, value: Any, line: int) -> None:
        task = current_task()
        if task is not None:
            task.run.note("write", label, _simple(value), Where(filename, line, sys._getframe(1).f_code.co_name))

    return {POINT: point, READ: read, WROTE: wrote}


def kit_builtins() -> tuple[dict[str, Any], dict[str, types.ModuleType]]:
    """A builtins dict whose ``__import__`` serves the kit's modules, and those modules."""
    table = dict(vars(builtins))
    shims: dict[str, types.ModuleType] = {}
    real_import = builtins.__import__

    def kit_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        if level == 0 and name in shims:
            return shims[name]
        return real_import(name, globals, locals, fromlist, level)

    table["__import__"] = kit_import
    primitives.install_shims(shims, table)
    return table, shims


def load_instrumented(name: str, path: str) -> types.ModuleType:
    """Import the file at ``path`` as module ``name``, ready for controlled runs."""
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    code, _ = instrument(source, path)
    module = types.ModuleType(name)
    module.__file__ = path
    table, _shims = kit_builtins()
    module.__dict__["__builtins__"] = table
    module.__dict__.update(_hooks(path))
    scheduler.STUDENT_FILES.add(path)
    primitives.MODULE_GLOBALS.append(module.__dict__)
    sys.modules[name] = module
    exec(code, module.__dict__)  # noqa: S102 - the student's module, in the sandboxed child
    return module
