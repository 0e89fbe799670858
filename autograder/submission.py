"""Turn what a student handed in into the module the grader imports.

A submission is a ``.py`` file, a notebook, or a folder holding one of them.
From a release notebook the graded code is its solution cells plus the locked
cells the kit put there (taken from the kit, not from the student's copy); from
any other notebook it is every code cell. IPython magics and ``!`` lines are
never executed: they become ``pass`` so line numbers stay right.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.catalog import ProblemSet
from autograder.i18n import Msg

if TYPE_CHECKING:
    import nbformat  # imported where a notebook is read: it costs most of the grader's start-up

MAGIC_LINE = re.compile(r"^(\s*)(?:[%!]|[\w.,\s\[\]]+=\s*[%!]|\?{1,2}[\w.]+\s*$|[\w.]+\?{1,2}\s*$)")
MAX_BYTES = 64 * 1024 * 1024  # a bigger file is not a course submission: not read whole
CODING_LINE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


class SubmissionError(Exception):
    """The grader cannot read the submission at all (missing path): a usage error, exit non-zero."""


@dataclass
class Submission:
    source: str  # the module to import; may be unusable (then ``problem`` says why)
    display: str  # the name the student knows: "threads.py", "threads.ipynb"
    cell_starts: list[int] = field(default_factory=list)
    cell_numbers: list[int] = field(default_factory=list)
    notices: list[Msg] = field(default_factory=list)
    problem: Msg | None = None  # set when the content is unusable (bad encoding, malformed notebook)


def _decode_python(data: bytes, display: str) -> tuple[str, Msg | None]:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        head = data.split(b"\n", 2)[:2]
        if any(CODING_LINE.match(line.decode("latin-1")) for line in head):
            return "", Msg(f"{display} 的编码声明有误：{exc}", f"{display} has a bad encoding declaration: {exc}")
        encoding = "utf-8"  # no declaration, a first line that is not UTF-8: say so below
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        pos = getattr(exc, "start", 0)
        line = data[:pos].count(b"\n") + 1
        return "", Msg(
            f"{display} 不是 {encoding} 编码的文本（第 {line} 行第 {pos} 个字节无法解码）。"
            f"请用 UTF-8 编码保存文件（或在第一行声明编码，例如 # -*- coding: gbk -*-）。",
            f"{display} is not {encoding} text (byte {pos}, on line {line}, cannot be decoded). "
            f"Save the file as UTF-8 (or declare its encoding on the first line, e.g. # -*- coding: gbk -*-).",
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    if encoding.lower() not in ("utf-8", "utf-8-sig"):
        lines = text.split("\n")
        for i in range(min(2, len(lines))):
            if CODING_LINE.match(lines[i]):
                lines[i] = "# (encoding declaration removed: the grader re-encoded this file as UTF-8)"
        text = "\n".join(lines)
    return text, None


def _inside_statement(lines: list[str]) -> bool:
    """Whether ``lines`` end inside a statement: an open bracket or string, a backslash."""
    if not any(line.strip() for line in lines):
        return False
    try:
        for _ in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            pass
    except tokenize.TokenError:
        return True
    except (SyntaxError, ValueError):  # broken code before: Python will report it
        return False
    return False


def strip_magics(source: str) -> str:
    """Replace IPython magics and shell escapes by ``pass``, keeping line numbers.

    Only a line that starts a statement can be a magic: ``% name`` continuing an
    expression inside brackets (``("%s"\\n % name)``) or a string is left alone.
    """
    out: list[str] = []
    for line in source.split("\n"):
        match = MAGIC_LINE.match(line)
        if match and not line.lstrip().startswith(("%=", "!=")) and not _inside_statement(out):
            out.append(f"{match.group(1)}pass  # [kit] not run: {line.strip()[:60]}")
        else:
            out.append(line)
    return "\n".join(out)


def _is_kit_notebook(nb: nbformat.NotebookNode) -> bool:
    return any("nbgrader" in cell.get("metadata", {}) for cell in nb.cells)


def notebook_code(nb: nbformat.NotebookNode, locked_sources: dict[str, str]) -> tuple[str, list[int], list[int], list[Msg]]:
    """The graded module of a notebook, with where each cell starts in it."""
    kit = _is_kit_notebook(nb)
    parts, starts, numbers, notices = [], [], [], []
    line = 1
    for number, cell in enumerate(nb.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        if kit:
            if meta.get("solution"):
                pass
            elif meta.get("locked") and not meta.get("grade") and meta.get("grade_id") in locked_sources:
                source = locked_sources[meta["grade_id"]]
            else:
                continue
        if source.lstrip().startswith("%%"):
            notices.append(Msg(f"第 {number} 个单元格是单元格魔法（%%），没有评分。",
                               f"Cell {number} is a cell magic (%%) and was not graded."))
            continue
        source = strip_magics(source)
        starts.append(line)
        numbers.append(number)
        parts.append(source)
        line += source.count("\n") + 2
    return "\n\n".join(parts) + "\n", starts, numbers, notices


def _pick_file(folder: Path, ps: ProblemSet) -> tuple[Path | None, list[Msg]]:
    candidates = [p for p in sorted(folder.rglob("*"))
                  if p.suffix in (".py", ".ipynb") and p.is_file()
                  and ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts]
    py = [p for p in candidates if p.suffix == ".py"]
    nb = [p for p in candidates if p.suffix == ".ipynb"]
    preferred_py = [p for p in py if p.stem == ps.module] or py
    preferred_nb = [p for p in nb if p.stem == ps.module] or nb
    notices = []
    if preferred_py and preferred_nb:
        notices.append(Msg(f"文件夹里同时有 {preferred_py[0].name} 和 {preferred_nb[0].name}：评分的是 .py 文件。",
                           f"The folder holds both {preferred_py[0].name} and {preferred_nb[0].name}: "
                           f"the .py file was graded."))
    chosen = (preferred_py or preferred_nb or [None])[0]
    return chosen, notices


def load_submission(path: Path, ps: ProblemSet, locked_sources: dict[str, str]) -> Submission:
    """Read ``path``; raises :class:`SubmissionError` only when there is nothing to read."""
    path = Path(path)
    if not path.exists():
        raise SubmissionError(f"no such file or folder: {path}")
    notices: list[Msg] = []
    if path.is_dir():
        chosen, notices = _pick_file(path, ps)
        if chosen is None:
            return Submission("", path.name, problem=Msg(
                f"文件夹 {path.name} 里没有 .py 或 .ipynb 文件。",
                f"The folder {path.name} holds no .py or .ipynb file."))
        path = chosen
    if not path.is_file():  # a FIFO or a device would block or never end
        raise SubmissionError(f"cannot read {path}: not a regular file")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SubmissionError(f"cannot read {path}: {exc.strerror}") from exc
    display = path.name
    if len(data) > MAX_BYTES:
        return Submission("", display, notices=notices, problem=Msg(
            f"{display} 太大了（超过 {MAX_BYTES // 2**20} MiB），不像是一份作业。",
            f"{display} is too large (over {MAX_BYTES // 2**20} MiB) to be a submission."))
    if path.suffix == ".ipynb":
        try:
            import nbformat

            nb = nbformat.reads(data.decode("utf-8-sig"), as_version=4)
            nbformat.validate(nb)
        except Exception as exc:  # noqa: BLE001 - any malformed notebook is a verdict, not a crash
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            return Submission("", display, notices=notices, problem=Msg(
                f"{display} 不是有效的 Jupyter 笔记本（nbformat 4）：{reason}",
                f"{display} is not a valid Jupyter notebook (nbformat 4): {reason}"))
        source, starts, numbers, more = notebook_code(nb, locked_sources)
        return Submission(source, display, starts, numbers, notices + more, problem=_nul_problem(source))
    text, problem = _decode_python(data, display)
    return Submission(text, display, notices=notices, problem=problem or _nul_problem(text))


def _nul_problem(source: str) -> Msg | None:
    if "\0" not in source:
        return None
    line = source[:source.index("\0")].count("\n") + 1
    return Msg(f"第 {line} 行有空字节（NUL）：这不是有效的 Python 源代码。请用文本编辑器重新保存文件。",
               f"Line {line} contains a NUL byte: this is not valid Python source. "
               f"Save the file again from a text editor.")
