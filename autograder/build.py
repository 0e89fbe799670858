"""Regenerate every generated file from the problem sets' content files.

    autograder/problemsets/<ps>/content.py, variants.py
        -> source/<ps>/<module>.ipynb         instructor notebook (nbgrader metadata, solutions)
        -> release/<ps>/<module>.ipynb        real `nbgrader generate_assignment` of source/
        -> assignments/<ps>/<module>.py       plain-Python skeleton for students without Jupyter
        -> solutions/<ps>/<module>.py         reference solution with explanations
        -> examples/class/submitted/<student>/<ps>/<module>.ipynb
                                              an example class: correct, alt_<id>, mistake_<id>

Generated files are committed, so they must be byte-identical on every build: cells get
ids derived from their position, JSON is written by nbformat (sorted keys), and no time,
path or version of the build machine enters a file. ``check=True`` builds into a
temporary folder and lists what is stale instead of writing.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat

from autograder.catalog import PROBLEM_SETS, ProblemSet, get_problem_set
from autograder.content import Cell, ProblemSetContent, load_content

ROOT = Path(__file__).resolve().parent.parent
TREES = ("source", "release", "assignments", "solutions", "examples")
SUBMITTED = "examples/class/submitted"
CONFIG = ROOT / "nbgrader_config.py"
FIX = "make build  (or: python -m autograder build)"
# nbgrader matches student ids inside path regexes and folder names: keep them plain.
STUDENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
IGNORED_NAMES = {".ipynb_checkpoints", "__pycache__", ".DS_Store"}

TEST_CELL_HEADER = ("# 运行本单元格检查你的答案；评分时还会运行隐藏测试 / "
                    "Run this cell to check your answer; hidden tests also run at grading time")
# nbgrader only logs these and carries on with its stock behaviour.
CONFIG_TROUBLE = ("Error loading config file", "Exception while loading config file",
                  "No nbgrader_config.py file found")
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}


class BuildError(Exception):
    """The content cannot be built (a malformed content file, nbgrader failed)."""


# --------------------------------------------------------------------------- notebooks

def _nbgrader_meta(grade_id: str, *, grade: bool, solution: bool, locked: bool,
                   points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return meta


def _hint_markdown(cell: Cell) -> str:
    msg = cell.description()
    return f"**提示 / Hint**\n\n{msg.zh}\n\n{msg.en}"


def source_notebook(content: ProblemSetContent) -> nbformat.NotebookNode:
    """The instructor notebook nbgrader's ``generate_assignment`` reads."""
    ps = content.problem_set
    v4 = nbformat.v4
    cells = []
    for cell in content.cells:
        if cell.kind == "markdown":
            new = v4.new_markdown_cell(cell.source)
        elif cell.kind in ("setup", "helpers"):
            new = v4.new_code_cell(cell.source)
            new.metadata["nbgrader"] = _nbgrader_meta(cell.kind, grade=False, solution=False, locked=True)
        elif cell.kind == "solution":
            new = v4.new_code_cell(f"### BEGIN SOLUTION\n{cell.source}\n### END SOLUTION")
            new.metadata["nbgrader"] = _nbgrader_meta(cell.exercise, grade=False, solution=True, locked=False)
            new.metadata["kit"] = {"skeleton": content.code("skeleton", cell.exercise)}
        elif cell.kind == "test":
            new = v4.new_code_cell(f"{TEST_CELL_HEADER}\n{cell.source}")
            points = ps.exercise(cell.exercise).points
            new.metadata["nbgrader"] = _nbgrader_meta(f"test_{cell.exercise}", grade=True, solution=False,
                                                      locked=True, points=points)
        elif cell.kind == "demo":
            new = v4.new_code_cell(cell.source)
        elif cell.kind == "hint":
            new = v4.new_markdown_cell(_hint_markdown(cell))
        else:  # skeleton (carried by its solution cell), explain (only in solutions/)
            continue
        new.id = f"{ps.short}-{len(cells):03d}-{cell.kind}" + (f"-{cell.exercise}" if cell.exercise else "")
        cells.append(new)
    nb = v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    return nb


def filled_notebook(release: nbformat.NotebookNode, code: dict[str, str]) -> nbformat.NotebookNode:
    """The release notebook with each solution cell's source replaced by ``code[exercise]``."""
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in code:
            cell.source = code[meta["grade_id"]]
    return nb


def notebook_bytes(nb: nbformat.NotebookNode) -> bytes:
    nbformat.validate(nb)
    return nbformat.writes(nb).encode("utf-8")


# --------------------------------------------------------------------------- plain modules

def _comment(text: str) -> str:
    return "\n".join(f"# {line}".rstrip() for line in text.splitlines())


def _as_comment(code: str) -> str:
    """An explain cell: kept as is when it is already comments, commented out otherwise."""
    lines = code.splitlines()
    if all(not line.strip() or line.lstrip().startswith("#") for line in lines):
        return code
    return _comment(code)


def _is_main_guard(node: ast.stmt) -> bool:
    test = getattr(node, "test", None)
    return (isinstance(node, ast.If) and isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__" and len(test.comparators) == 1
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value == "__main__")


def _guarded(code: str) -> str:
    """A demo cell, run only as a script: importing the module (as the grader does) must not run it."""
    try:
        body = ast.parse(code).body
    except SyntaxError as exc:
        raise BuildError(f"a [demo] cell does not parse: {exc}") from exc
    if all(_is_main_guard(node) for node in body):
        return code
    if "'''" in code or '"""' in code:
        raise BuildError("a [demo] cell with a triple-quoted string must carry its own "
                         "`if __name__ == \"__main__\":` guard (indenting it would change the string)")
    return 'if __name__ == "__main__":\n' + textwrap.indent(code, "    ")


def module_text(content: ProblemSetContent, *, solution: bool) -> str:
    """``assignments/`` (skeletons) or ``solutions/`` (solutions + explanations) as one module."""
    ps = content.problem_set
    markdown = [c for c in content.cells if c.kind == "markdown"]
    doc = markdown[0].source if markdown else ps.title.en
    parts = ['"""' + doc.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '\n"""']
    for cell in content.cells:
        if cell.kind == "markdown" and cell is not markdown[0]:
            parts.append(_comment(cell.source))
        elif cell.kind == "setup":
            parts.append(cell.source)
        elif cell.kind == "skeleton" and not solution:
            parts.append(cell.source)
        elif cell.kind == "solution" and solution:
            parts.append(cell.source)
            explain = content.of_kind("explain", cell.exercise)
            if explain:
                parts.append(_as_comment(explain[0].source))
        elif cell.kind == "hint" and not solution:
            msg = cell.description()
            parts.append(_comment(f"提示 / Hint: {msg.zh}\n{msg.en}"))
        elif cell.kind == "demo":
            parts.append(_guarded(cell.source))
    parts.append(_comment(f"检查你的答案 / Check your work:\n    python -m autograder check {ps.id} {ps.module}.py"))
    return "\n\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


# --------------------------------------------------------------------------- the example class

def example_students(content: ProblemSetContent) -> dict[str, dict[str, str]]:
    """Student id -> {exercise: code} for the solution cells that differ from the solutions."""
    students: dict[str, dict[str, str]] = {"correct": {}}
    for kind, prefix in (("alternative", "alt"), ("mistake", "mistake")):
        for cell in content.of_kind(kind):
            if not cell.variant_id:
                raise BuildError(f"{content.problem_set.id}: [{kind}] {cell.exercise} (line {cell.line}) has no id")
            student = f"{prefix}_{cell.variant_id}"
            if not STUDENT_ID.fullmatch(student):
                raise BuildError(f"{content.problem_set.id}: [{kind}] id {cell.variant_id!r} (line {cell.line}) "
                                 f"makes {student!r}, not a usable nbgrader student id (letters, digits, _ and -)")
            if student in students:
                raise BuildError(f"{content.problem_set.id}: two [{kind}] cells with the id {cell.variant_id}")
            for name in cell.breaks:
                try:
                    content.problem_set.exercise(name)
                except KeyError:
                    raise BuildError(f"{content.problem_set.id}: [{kind}] {cell.variant_id} (line {cell.line}) "
                                     f"breaks={name}: no such exercise") from None
            students[student] = {cell.exercise: cell.source}
    return students


def _check_content(content: ProblemSetContent) -> None:
    ps = content.problem_set
    for kind in ("skeleton", "solution", "test"):
        seen: set[str] = set()
        for cell in content.of_kind(kind):
            ps.exercise(cell.exercise)  # KeyError for an exercise the catalog does not know
            if cell.exercise in seen:
                raise BuildError(f"{ps.id}: more than one [{kind}] {cell.exercise}")
            seen.add(cell.exercise)
    for cell in content.of_kind("solution"):
        content.code("skeleton", cell.exercise)
        if "BEGIN SOLUTION" in cell.source or "END SOLUTION" in cell.source:
            raise BuildError(f"{ps.id}: [solution] {cell.exercise} must not contain nbgrader's delimiters")


def points_mismatches(content: ProblemSetContent) -> list[str]:
    """Exercises whose visible + hidden test points differ from the catalog's ``Exercise.points``.

    A grade cell carries the catalog's points; if the tests add up to something else,
    nbgrader's total and ``python -m autograder grade``'s total differ.
    """
    import importlib

    ps = content.problem_set
    totals = {ex.id: 0.0 for ex in ps.exercises}
    for cell in content.visible_tests():
        totals[cell.exercise] = totals.get(cell.exercise, 0.0) + cell.points
    if (ps.folder / "test_hidden.py").exists():
        module = importlib.import_module(f"autograder.problemsets.{ps.id}.test_hidden")
        for obj in vars(module).values():
            spec = getattr(obj, "kit_check", None)
            if spec is not None and callable(obj):
                totals[spec.exercise] = totals.get(spec.exercise, 0.0) + spec.points
    built = {c.exercise for c in content.visible_tests()}
    return [f"{ps.id}.{ex.id}: tests give {totals[ex.id]:g} points, the catalog says {ex.points:g}"
            for ex in ps.exercises if ex.id in built and abs(totals[ex.id] - ex.points) > 1e-9]


# --------------------------------------------------------------------------- nbgrader

def nbgrader_env(home: Path) -> dict[str, str]:
    """Environment for an nbgrader subprocess: no user or system Jupyter config, only the course's."""
    env = dict(os.environ)
    env.update(JUPYTER_NO_CONFIG="1", JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
               JUPYTER_DATA_DIR=str(home / "jupyter-data"), JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
               PYTHONIOENCODING="utf-8", TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR="1")
    env.pop("JUPYTER_CONFIG_PATH", None)
    # nbgrader's Gradebook runs the `alembic` command found on PATH: use this environment's.
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    # nbgrader_config.py imports this kit: the one at ROOT, also when it is not pip-installed.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def run_nbgrader(args: list[str], course: Path, *, check: bool = True) -> subprocess.CompletedProcess:
    """``python -m nbgrader ARGS`` in ``course`` (the Python running the kit, so the kit is importable)."""
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=nbgrader_env(course),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, encoding="utf-8",
                          errors="replace")
    problem = proc.returncode != 0 or any(text in proc.stderr for text in CONFIG_TROUBLE)
    if check and problem:
        raise BuildError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc


def release_notebooks(sources: dict[str, bytes], course: Path) -> dict[str, bytes]:
    """Run real ``nbgrader generate_assignment`` on the source notebooks; relpath -> bytes."""
    course.mkdir(parents=True, exist_ok=True)
    shutil.copy2(CONFIG, course / "nbgrader_config.py")
    for rel, data in sources.items():
        (course / rel).parent.mkdir(parents=True, exist_ok=True)
        (course / rel).write_bytes(data)
    assignments = sorted({Path(rel).parts[1] for rel in sources})
    # One nbgrader process per problem set, side by side (each has ~4 s of start-up);
    # separate gradebooks so the SQLite writers do not contend.
    procs = {}
    for ps_id in assignments:
        cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", ps_id, "--force",
               f"--CourseDirectory.db_url=sqlite:///{course / f'gradebook-{ps_id}.db'}"]
        procs[ps_id] = subprocess.Popen(cmd, cwd=course, env=nbgrader_env(course), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        encoding="utf-8", errors="replace")
    failures = []
    for ps_id, proc in procs.items():
        _, err = proc.communicate()
        if proc.returncode != 0 or any(text in err for text in CONFIG_TROUBLE):
            failures.append(f"nbgrader generate_assignment {ps_id} failed (exit {proc.returncode}):\n{err[-4000:]}")
    if failures:
        raise BuildError("\n".join(failures))
    out = {}
    for rel in sources:
        release_rel = "release/" + rel.split("/", 1)[1]
        data = (course / release_rel).read_bytes()
        _check_release(release_rel, nbformat.reads(data.decode("utf-8"), as_version=4))
        out[release_rel] = data
    return out


def _check_release(rel: str, nb: nbformat.NotebookNode) -> None:
    """Fail loudly if nbgrader ran without the kit's config (it only warns) or leaked a solution."""
    for cell in nb.cells:
        if "kit" in cell.metadata or "BEGIN SOLUTION" in cell.source:
            raise BuildError(f"{rel}: a solution or kit metadata survived generate_assignment")
        if cell.metadata.get("nbgrader", {}).get("solution") and "NotImplementedError" in cell.source:
            raise BuildError(f"{rel}: a solution cell holds nbgrader's stub, not the skeleton "
                             f"(was nbgrader_config.py loaded?)")


# --------------------------------------------------------------------------- the build

def generate(problem_sets: list[ProblemSet], workdir: Path) -> dict[str, bytes]:
    """Every generated file of ``problem_sets``: repo-relative posix path -> content."""
    files: dict[str, bytes] = {}
    contents = {}
    for ps in problem_sets:
        content = load_content(ps)
        _check_content(content)
        contents[ps.id] = content
        files[f"source/{ps.id}/{ps.notebook_name}"] = notebook_bytes(source_notebook(content))
        files[f"assignments/{ps.id}/{ps.module}.py"] = module_text(content, solution=False).encode("utf-8")
        files[f"solutions/{ps.id}/{ps.module}.py"] = module_text(content, solution=True).encode("utf-8")
    sources = {rel: data for rel, data in files.items() if rel.startswith("source/")}
    releases = release_notebooks(sources, workdir / "course")
    files.update(releases)
    for ps in problem_sets:
        content = contents[ps.id]
        release = nbformat.reads(releases[f"release/{ps.id}/{ps.notebook_name}"].decode("utf-8"), as_version=4)
        solutions = {c.exercise: c.source for c in content.of_kind("solution")}
        for student, overrides in example_students(content).items():
            nb = filled_notebook(release, {**solutions, **overrides})
            files[f"{SUBMITTED}/{student}/{ps.id}/{ps.notebook_name}"] = notebook_bytes(nb)
    return dict(sorted(files.items()))


def _owned_files(root: Path, problem_sets: list[ProblemSet], everything: bool) -> set[str]:
    """Files now in the generated trees that a build of ``problem_sets`` is responsible for."""
    found: set[str] = set()
    for tree in TREES:
        base = root / tree
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            rel = path.relative_to(root)
            if path.is_file() and not IGNORED_NAMES.intersection(rel.parts):
                found.add(rel.as_posix())
    if everything:
        return found
    ids = {ps.id for ps in problem_sets}

    def belongs(rel: str) -> bool:
        parts = rel.split("/")
        if parts[0] == "examples":
            return len(parts) > 4 and parts[1:3] == ["class", "submitted"] and parts[4] in ids
        return len(parts) > 1 and parts[1] in ids

    return {rel for rel in found if belongs(rel)}


def compare(files: dict[str, bytes], root: Path, problem_sets: list[ProblemSet],
            everything: bool) -> dict[str, list[str]]:
    """``stale``, ``missing`` and ``extra`` files of the repo compared with a fresh build."""
    present = _owned_files(root, problem_sets, everything)
    report: dict[str, list[str]] = {"stale": [], "missing": [], "extra": []}
    for rel, data in files.items():
        path = root / rel
        if not path.is_file():
            report["missing"].append(rel)
        elif path.read_bytes() != data:
            report["stale"].append(rel)
    report["extra"] = sorted(present - set(files))
    return report


def _write(files: dict[str, bytes], report: dict[str, list[str]], root: Path) -> None:
    for rel in report["stale"] + report["missing"]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(files[rel])
        os.replace(tmp, path)
    for rel in report["extra"]:
        (root / rel).unlink()
        parent = (root / rel).parent
        while parent != root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def build(problem_sets: list[str] | None = None, check: bool = False, *, root: Path = ROOT) -> int:
    """Regenerate (or with ``check``, only verify) the generated files; returns an exit code."""
    try:
        chosen = [get_problem_set(p) for p in problem_sets] if problem_sets else list(PROBLEM_SETS.values())
    except KeyError as exc:
        print(f"autograder build: error: {exc.args[0]}", file=sys.stderr)
        return 2
    chosen = list({ps.id: ps for ps in chosen}.values())
    try:
        with tempfile.TemporaryDirectory(prefix="kit-build-") as tmp:
            files = generate(chosen, Path(tmp))
        warnings = [w for ps in chosen for w in points_mismatches(load_content(ps))]
    except (BuildError, ValueError, KeyError) as exc:
        print(f"autograder build: error: {exc}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"autograder build: warning: {warning}", file=sys.stderr)
    report = compare(files, root, chosen, everything=not problem_sets)
    changed = sum(len(v) for v in report.values())
    if check:
        for kind in ("stale", "missing", "extra"):
            for rel in report[kind]:
                print(f"{kind}: {rel}")
        if changed:
            print(f"{changed} generated file(s) out of date; run: {FIX}")
            return 1
        print(f"all {len(files)} generated files are up to date")
        return 0
    _write(files, report, root)
    print(f"built {len(files)} files ({len(report['stale'])} updated, {len(report['missing'])} new, "
          f"{len(report['extra'])} removed)")
    return 0
