"""Parse a problem set's single source of truth.

Each problem set folder holds ``content.py`` (text, setup, helpers, skeleton and
solution code, explanations, visible tests, demos) and ``variants.py`` (the
example mistakes and alternative correct solutions), in "percent" format::

    # %% [markdown]
    # ## 标题 / Title
    # %% [skeleton] greet_all
    def greet_all(names, greet): ...
    # %% [test] greet_all points=4
    assert ...

Kinds: ``markdown``, ``setup``, ``helpers``, ``skeleton EX``, ``solution EX``,
``explain EX``, ``test EX points=N``, ``demo``, ``mistake EX ID [breaks=EX2,EX3]``,
``alternative EX ID``, ``hint EX`` (``# zh:`` and ``# en:`` lines). Everything generated (notebooks, modules, the example
class) is built from these cells by :mod:`autograder.build`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from autograder.catalog import ProblemSet
from autograder.i18n import Msg

HEADER = re.compile(r"^# %% \[(?P<kind>[a-z]+)\](?P<rest>.*)$")
KINDS = {"markdown", "setup", "helpers", "skeleton", "solution", "explain", "test", "demo",
         "mistake", "alternative", "hint"}


@dataclass
class Cell:
    kind: str
    args: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    source: str = ""
    line: int = 0  # line of the header in its file, for error messages

    @property
    def exercise(self) -> str:
        return self.args[0] if self.args else ""

    @property
    def variant_id(self) -> str:
        return self.args[1] if len(self.args) > 1 else ""

    @property
    def points(self) -> float:
        return float(self.options.get("points", "0"))

    @property
    def breaks(self) -> set[str]:
        """A mistake's exercises: its own, plus those its ``breaks=A,B`` option names (a mistake that
        breaks the whole module, like unguarded top-level process starts under spawn, may cost
        points on every exercise it breaks)."""
        named = self.options.get("breaks", "")
        return {self.exercise} | {name for name in named.split(",") if name}

    def description(self) -> Msg:
        """The ``# zh: ...`` / ``# en: ...`` lines opening a mistake or alternative."""
        zh = en = ""
        for line in self.source.splitlines():
            if line.startswith("# zh:"):
                zh = line[5:].strip()
            elif line.startswith("# en:"):
                en = line[5:].strip()
        return Msg(zh, en)


def parse_cells(text: str, where: str = "<content>") -> list[Cell]:
    """Split percent-format text into cells; markdown cells lose their ``# `` prefix."""
    cells: list[Cell] = []
    current: Cell | None = None
    lines: list[str] = []

    def close() -> None:
        if current is None:
            return
        body = lines[:]
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
        if current.kind == "markdown":
            body = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in body]
        current.source = "\n".join(body)
        cells.append(current)

    for number, line in enumerate(text.splitlines(), start=1):
        match = HEADER.match(line)
        if match:
            close()
            kind = match["kind"]
            if kind not in KINDS:
                raise ValueError(f"{where}:{number}: unknown cell kind [{kind}]")
            args, options = [], {}
            for word in match["rest"].split():
                if "=" in word:
                    key, value = word.split("=", 1)
                    options[key] = value
                else:
                    args.append(word)
            current, lines = Cell(kind, args, options, line=number), []
        elif current is not None:
            lines.append(line)
        elif line.strip() and not line.startswith("#"):
            raise ValueError(f"{where}:{number}: code before the first '# %%' cell header")
    close()
    return cells


@dataclass
class ProblemSetContent:
    problem_set: ProblemSet
    cells: list[Cell]
    variants: list[Cell]

    def of_kind(self, kind: str, exercise: str | None = None) -> list[Cell]:
        return [c for c in self.cells + self.variants
                if c.kind == kind and (exercise is None or c.exercise == exercise)]

    def code(self, kind: str, exercise: str) -> str:
        """The one ``skeleton``/``solution``/``explain`` cell of an exercise."""
        found = self.of_kind(kind, exercise)
        if len(found) != 1:
            raise ValueError(f"{self.problem_set.id}: expected one [{kind}] {exercise}, found {len(found)}")
        return found[0].source

    def hint(self, exercise: str) -> Msg | None:
        found = self.of_kind("hint", exercise)
        return found[0].description() if found else None

    def visible_tests(self) -> list[Cell]:
        return self.of_kind("test")

    def helpers_code(self) -> str:
        return "\n\n".join(c.source for c in self.of_kind("helpers"))

    def setup_code(self) -> str:
        return "\n\n".join(c.source for c in self.of_kind("setup"))

    def module_source(self, overrides: dict[str, str] | None = None, *, skeleton: bool = False) -> str:
        """A plain module: setup, then every exercise's code (solution unless overridden)."""
        overrides = overrides or {}
        parts = [self.setup_code()]
        for ex in self.problem_set.exercises:
            if ex.id in overrides:
                parts.append(overrides[ex.id])
            else:
                parts.append(self.code("skeleton" if skeleton else "solution", ex.id))
        return "\n\n\n".join(parts) + "\n"


@cache
def _read(path: Path) -> list[Cell]:
    return parse_cells(path.read_text(encoding="utf-8"), str(path)) if path.exists() else []


def load_content(problem_set: ProblemSet) -> ProblemSetContent:
    folder = problem_set.folder
    return ProblemSetContent(problem_set, _read(folder / "content.py"), _read(folder / "variants.py"))
