"""The pytest side of the grader: collect checks, run each in a child, report.

Visible tests are the ``[test]`` cells of a problem set's ``content.py``; hidden
tests are the ``@check`` functions of its ``test_hidden.py``. Every item's work
happens in a child process (see :mod:`autograder.runner`); all children are
launched together when the run starts and each item waits for its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autograder.catalog import get_problem_set
from autograder.content import parse_cells
from autograder.i18n import Msg
from autograder.runner import CheckDef, GradingContext


class KitCheckFailed(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class KitItem(pytest.Item):
    def __init__(self, *, check: CheckDef, **kwargs: Any):
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        ctx: GradingContext = self.config._kit_context
        result = ctx.result(self.check.name)
        if result.outcome != "passed":
            raise KitCheckFailed(f"[{result.outcome}] {result.message.en}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, KitCheckFailed):
            return excinfo.value.message
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.check.name


class VisibleTests(pytest.File):
    """The ``[test]`` cells of content.py, one item per cell."""

    def collect(self):
        ps = get_problem_set(self.path.parent.name)
        cells = [c for c in parse_cells(self.path.read_text(encoding="utf-8"), str(self.path)) if c.kind == "test"]
        counts: dict[str, int] = {}
        for cell in cells:
            counts[cell.exercise] = counts.get(cell.exercise, 0) + 1
            n = counts[cell.exercise]
            suffix = f" {n}" if sum(c.exercise == cell.exercise for c in cells) > 1 else ""
            check = CheckDef(
                name=f"{ps.short}.{cell.exercise}: visible test{suffix}",
                exercise=cell.exercise,
                title=Msg(f"可见测试{suffix}", f"visible test{suffix}"),
                points=cell.points,
                kind="visible",
                code=cell.source,
                timeout=float(cell.options["timeout"]) if "timeout" in cell.options else None,
            )
            yield KitItem.from_parent(self, name=f"visible[{cell.exercise}{suffix.strip()}]", check=check)


class KitPlugin:
    """Registered by :func:`autograder.runner.run_checks` for one submission."""

    def __init__(self, ctx: GradingContext):
        self.ctx = ctx
        self.checks: list[CheckDef] = []
        self.errors: list[str] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        config._kit_context = self.ctx

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(self, module_path: Path, parent: pytest.Collector):
        # content.py is passed as a path, so pytest's python plugin would import it as a module,
        # running its [test] cells against the reference solution inside the grader: collect its
        # cells instead, without importing it.
        if module_path.name == "content.py":
            return VisibleTests.from_parent(parent, path=module_path)
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makeitem(self, collector: pytest.Collector, name: str, obj: object):
        spec = getattr(obj, "kit_check", None)
        if spec is None or not callable(obj):
            return None
        ps = get_problem_set(Path(str(collector.path)).parent.name)
        check = CheckDef(
            name=f"{ps.short}.{spec.exercise}: {spec.title.en}",
            exercise=spec.exercise,
            title=spec.title,
            points=spec.points,
            kind="hidden",
            target=f"{obj.__module__}:{obj.__name__}",
            timeout=spec.timeout,
            on_timeout=spec.on_timeout,
            scheduled=spec.scheduled,
        )
        return KitItem.from_parent(collector, name=name, check=check)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(str(report.longrepr))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.checks = [item.check for item in session.items if isinstance(item, KitItem)]
        names = [c.name for c in self.checks]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            self.errors.append(f"duplicate check names: {sorted(duplicates)}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        if not self.errors:
            self.ctx.launch(self.checks)
