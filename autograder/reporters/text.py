"""A report for people: per exercise, what passed, what failed and why, with a hint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from autograder.catalog import get_problem_set
from autograder.content import load_content
from autograder.results import GradeResult

if TYPE_CHECKING:
    from autograder.course import CourseResult

WORDS = {
    "zh": {"exercise": "练习", "score": "得分", "total": "总分", "hint": "提示", "notice": "注意",
           "passed": "通过", "failed": "未通过", "all_ok": "全部通过，做得好！",
           "problem_set": "作业", "missing": "未提交", "seconds": "用时"},
    "en": {"exercise": "Exercise", "score": "Score", "total": "Total", "hint": "Hint", "notice": "Note",
           "passed": "passed", "failed": "failed", "all_ok": "Everything passed. Well done!",
           "problem_set": "Problem set", "missing": "not submitted", "seconds": "Time"},
}


def _fmt(x: float) -> str:
    return f"{x:g}"


def render(result: GradeResult, lang: str, console: Console | None = None, *, hints: bool = True) -> None:
    console = console or Console(highlight=False)
    words = WORDS[lang]
    ps = get_problem_set(result.problem_set)
    content = load_content(ps)
    console.print(Text(f"{ps.id} — {ps.title.get(lang)} — {result.submission}", style="bold"))
    for notice in result.notices:
        console.print(Text(f"{words['notice']}: {notice.get(lang)}", style="yellow"))
    table = Table(show_header=True, header_style="bold")
    table.add_column(words["exercise"])
    table.add_column(words["score"], justify="right")
    table.add_column("")
    for ex_id, (score, max_score) in result.exercises().items():
        ok = score >= max_score
        table.add_row(f"{ps.short}.{ex_id}  {ps.exercise(ex_id).title.get(lang)}",
                      f"{_fmt(score)}/{_fmt(max_score)}",
                      Text("✓", style="green") if ok else Text("✗", style="red"))
    table.add_row(Text(words["total"], style="bold"), Text(f"{_fmt(result.score)}/{_fmt(result.max_score)}",
                                                           style="bold"), "")
    console.print(table)
    failed = [t for t in result.tests if t.status != "passed"]
    if not failed:
        console.print(Text(words["all_ok"], style="green"))
        return
    shown_hint: set[str] = set()
    for test in failed:
        console.print(Text(f"✗ {test.name}  ({_fmt(test.score)}/{_fmt(test.max_score)})", style="bold red"))
        console.print(Text(f"  {test.title.get(lang)}", style="dim"))
        for line in test.feedback(lang).splitlines():
            console.print(Text("    " + line), soft_wrap=True)
        hint = content.hint(test.exercise) if hints else None
        if hint is not None and test.exercise not in shown_hint and hint.get(lang):
            shown_hint.add(test.exercise)
            console.print(Text(f"  {words['hint']}: {hint.get(lang)}", style="cyan"))


def render_course(result: CourseResult, lang: str, console: Console | None = None) -> None:
    """One row per problem set, then the feedback of every problem set that lost points."""
    console = console or Console(highlight=False)
    words = WORDS[lang]
    console.print(Text(result.folder, style="bold"))
    table = Table(show_header=True, header_style="bold")
    table.add_column(words["problem_set"])
    table.add_column(words["score"], justify="right")
    table.add_column(words["seconds"], justify="right")
    table.add_column("")
    graded = result.graded
    for ps_id, score, max_score, status in result.rows():
        ps = get_problem_set(ps_id)
        took = f"{graded[ps_id].execution_time:.1f} s" if ps_id in graded else ""
        mark = (Text(words["missing"], style="yellow") if status == "missing"
                else Text("✓", style="green") if score >= max_score else Text("✗", style="red"))
        table.add_row(f"{ps.id}  {ps.title.get(lang)}", f"{_fmt(score)}/{_fmt(max_score)}", took, mark)
    table.add_row(Text(words["total"], style="bold"),
                  Text(f"{_fmt(result.score)}/{_fmt(result.max_score)}", style="bold"),
                  f"{result.execution_time:.1f} s", "")
    console.print(table)
    for r in result.results:
        if r.score < r.max_score:
            console.print()
            render(r, lang, console)
