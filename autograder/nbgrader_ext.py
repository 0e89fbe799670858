"""nbgrader preprocessors that make stock nbgrader hand out and grade the kit's notebooks.

Two things in stock nbgrader 0.9.6 do not fit a concurrency course:

* ``generate_assignment`` replaces every solution with ``raise NotImplementedError``;
  our students start from the tutorial's buggy code instead.
  :class:`UseSkeletonCode` runs right after ``ClearSolutions`` and puts the skeleton
  (kept by :mod:`autograder.build` in the cell's ``metadata.kit.skeleton``) back.
* ``autograde`` runs the notebook in one kernel with a 30 s limit per cell, zeroes a
  passing cell that wrote to stderr, aborts a submission on one hung cell and prints
  hidden tests. :class:`GradeWithKit` replaces its ``Execute`` step: it grades the
  sanitized notebook with :func:`autograder.runner.grade` (student code runs only in
  the kit's child processes) and writes each exercise's feedback and earned score into
  its grade cell, where nbgrader's ``SaveAutoGrades`` reads the score as partial credit.

``nbgrader_config.py`` at the repo root wires both in, through
:func:`generate_assignment_preprocessors` and :func:`autograde_preprocessors`.
"""

from __future__ import annotations

import shutil
import tempfile
import traceback
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils as nbutils
from nbgrader.preprocessors import ClearSolutions, Execute, NbGraderPreprocessor
from traitlets import Integer, Unicode

from autograder.i18n import LANGS, Msg, default_lang
from autograder.results import GradeResult, TestResult

GRADE_PREFIX = "test_"  # a grade cell's grade_id is "test_<exercise id>"
KIT_OUTPUT_KEY = "kit"  # output metadata key carrying the machine-readable result


class UseSkeletonCode(NbGraderPreprocessor):
    """Put each solution cell's skeleton (``metadata.kit.skeleton``) in place of nbgrader's stub.

    Runs right after ``ClearSolutions`` in ``GenerateAssignment.preprocessors``, so the
    checksums and source cells nbgrader saves afterwards are those of the skeleton.
    The ``kit`` metadata is dropped from every cell: the release carries no solution.
    """

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict,
                        index: int) -> tuple[NotebookNode, ResourcesDict]:
        kit = cell.metadata.pop("kit", None)
        if nbutils.is_solution(cell) and cell.cell_type == "code":
            skeleton = kit.get("skeleton") if isinstance(kit, dict) else None
            if isinstance(skeleton, str):
                cell.source = skeleton
            else:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
                self.log.warning("Solution cell %s has no metadata.kit.skeleton: nbgrader's stub stays", grade_id)
        return cell, resources


class GradeWithKit(NbGraderPreprocessor):
    """Grade the whole notebook with the kit and write the result into its grade cells.

    Replaces nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors``. The notebook
    is never run in a kernel: it is saved to a temporary file and graded by
    :func:`autograder.runner.grade`, the same function behind ``python -m autograder grade``,
    so both give the same scores. Each grade cell ``test_<exercise>`` gets one ``stdout``
    stream (the feedback of that exercise's tests) and one ``execute_result`` holding the
    points earned, which nbgrader reads as partial credit. No ``error`` or ``stderr``
    output is ever written, and nothing here raises: a failure of the kit itself gives
    zero points with the reason in every grade cell.
    """

    lang = Unicode(
        "",
        help="Feedback language, 'zh' or 'en'; empty: from the environment "
             "(KIT_LANG, then the locale), as `python -m autograder grade` does.",
    ).tag(config=True)

    problem_set = Unicode(
        "",
        help="Problem set to grade every notebook against; empty: the nbgrader assignment id "
             "(the kit names assignments after problem sets, e.g. ps1_threads).",
    ).tag(config=True)

    jobs = Integer(
        0,
        help="How many checks of one submission run at once; 0: the kit's default (2 per core, at most 8).",
    ).tag(config=True)

    def _lang(self) -> str:
        return self.lang if self.lang in LANGS else default_lang()

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        lang = self._lang()
        result: GradeResult | None = None
        failure: Msg | None = None
        try:
            result = self._grade(nb, resources)
        except Exception as exc:  # noqa: BLE001 - a kit failure must not abort nbgrader's run
            self.log.error("The kit could not grade this notebook:\n%s", traceback.format_exc())
            failure = Msg("评分程序自身出错，本题暂记 0 分，请联系老师：",
                          "The grader itself failed; this exercise gets 0 points for now, please tell "
                          "your teacher: ") + Msg.same(f"{type(exc).__name__}: {exc}")
        try:
            fill_grade_cells(nb, result, failure, lang)
        except Exception:  # noqa: BLE001 - last resort: zero every grade cell, say why
            self.log.error("Could not write the kit's results:\n%s", traceback.format_exc())
            for cell in nb.cells:
                if nbutils.is_grade(cell) and cell.cell_type == "code":
                    cell.outputs = _outputs("The grader itself failed while writing feedback.", 0.0, None, 1)
        return nb, resources

    def _grade(self, nb: NotebookNode, resources: ResourcesDict) -> GradeResult:
        from autograder.runner import grade  # imported late: nbgrader loads this module for every command

        info = resources.get("nbgrader", {})
        problem_set = self.problem_set or info.get("assignment", "")
        name = f"{info.get('notebook') or 'submission'}.ipynb"
        folder = Path(tempfile.mkdtemp(prefix="kit-nbgrader-"))
        try:
            path = folder / name
            path.write_text(nbformat.writes(nb), encoding="utf-8")
            return grade(problem_set, path, jobs=self.jobs or None)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _number(score: float) -> str:
    """The score as nbgrader's ``get_partial_grade`` parses it (``float(text)``)."""
    return format(round(score, 6), "g")


def _outputs(text: str, score: float, kit: dict[str, Any] | None, count: int) -> list[NotebookNode]:
    stream = nbformat.v4.new_output("stream", name="stdout", text=text.rstrip("\n") + "\n")
    result = nbformat.v4.new_output("execute_result", data={"text/plain": _number(score)},
                                    execution_count=count)
    if kit is not None:
        result.metadata[KIT_OUTPUT_KEY] = kit
    return [stream, result]


def test_label(test: TestResult, lang: str) -> str:
    """The test's stable name ("ps1.greet_all: ..."), with its title in the reader's language."""
    prefix = test.name.split(":", 1)[0]
    title = test.title.get(lang)
    return f"{prefix}: {title}" if title else test.name


def exercise_feedback(exercise: str, tests: list[TestResult], lang: str) -> str:
    """One exercise's feedback: a line per test (mark, name, points), then its message."""
    lines = []
    for t in tests:
        mark = "✓" if t.status == "passed" else "✗"
        lines.append(f"{mark} {test_label(t, lang)}  ({_number(t.score)}/{_number(t.max_score)})")
        if t.status != "passed":
            lines.extend("    " + line for line in t.feedback(lang).splitlines())
    if not lines:
        lines.append("没有针对这道题的检查。" if lang == "zh" else "No check covers this exercise.")
    return "\n".join(lines)


def fill_grade_cells(nb: NotebookNode, result: GradeResult | None, failure: Msg | None, lang: str) -> None:
    """Write feedback and points into every grade cell; the first also gets the grader's notices."""
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or not nbutils.is_grade(cell):
            continue
        count += 1
        cell.execution_count = count
        meta = cell.metadata["nbgrader"]
        grade_id = meta.get("grade_id", "")
        points = float(meta.get("points", 0))
        exercise = grade_id[len(GRADE_PREFIX):] if grade_id.startswith(GRADE_PREFIX) else ""
        if failure is not None or result is None:
            text = (failure or Msg.same("no result")).get(lang)
            cell.outputs = _outputs(text, 0.0, {"exercise": exercise, "error": (failure or Msg("", "")).to_dict()},
                                    count)
            continue
        tests = [t for t in result.tests if t.exercise == exercise] if exercise else []
        earned = sum(t.score for t in tests)
        possible = sum(t.max_score for t in tests)
        header = f"{exercise}: {_number(earned)}/{_number(possible)}"
        if not exercise:
            header = ("这个评分单元格不属于评分程序（grade_id 应为 test_<题目>），记 0 分。" if lang == "zh" else
                      "This grade cell is not one of the kit's (its grade_id should be test_<exercise>): 0 points.")
        score = earned
        if possible and abs(possible - points) > 1e-9:
            score = earned * points / possible  # keep nbgrader's cell total; say so
            header += (f"（按本单元格满分 {_number(points)} 折算为 {_number(score)}）" if lang == "zh" else
                       f" (scaled to this cell's {_number(points)} points: {_number(score)})")
        score = min(max(score, 0.0), points)  # nbgrader rejects partial credit above the cell's points
        parts = [header, exercise_feedback(exercise, tests, lang)] if exercise else [header]
        if count == 1 and result.notices:
            parts.append("\n".join(n.get(lang) for n in result.notices))
        kit = {"exercise": exercise, "score": earned, "max_score": possible,
               "tests": [{k: v for k, v in t.to_dict().items() if k != "student_output"} for t in tests]}
        cell.outputs = _outputs("\n\n".join(parts), score, kit, count)


def _replace(classes: list, old: type, new: list) -> list:
    out = []
    for cls in classes:
        out.extend(new if cls is old else [cls])
    if old not in classes:
        raise RuntimeError(f"nbgrader's default preprocessors no longer contain {old.__name__}")
    return out


def generate_assignment_preprocessors() -> list:
    """nbgrader's ``GenerateAssignment`` preprocessors with :class:`UseSkeletonCode` after ``ClearSolutions``."""
    from nbgrader.converters import GenerateAssignment

    return _replace(list(GenerateAssignment.class_traits()["preprocessors"].make_dynamic_default()),
                    ClearSolutions, [ClearSolutions, UseSkeletonCode])


def autograde_preprocessors() -> list:
    """nbgrader's ``Autograde`` preprocessors with :class:`GradeWithKit` in place of ``Execute``."""
    from nbgrader.converters import Autograde

    return _replace(list(Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default()),
                    Execute, [GradeWithKit])
