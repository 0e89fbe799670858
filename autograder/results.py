"""One results model for every channel.

The grader produces a :class:`GradeResult`; reporters (text, Gradescope JSON,
nbgrader cell outputs, ...) only read it. ``to_dict``/``from_dict`` round-trip
the full result (both languages), ``to_gradescope_dict`` renders one language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autograder.i18n import Msg

OUTPUT_CAP = 4096  # bytes of student output kept per test in a report

# How a check ended. Only "passed" earns points.
OUTCOMES = ("passed", "failed", "error", "timeout", "crashed", "not_run")


def cap_text(text: str, limit: int = OUTPUT_CAP) -> str:
    """Keep the head of ``text`` within ``limit`` UTF-8 bytes and say how much was cut."""
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text
    head = data[:limit].decode("utf-8", "ignore")
    return f"{head}\n... [{len(data) - limit} more bytes not shown / 其余 {len(data) - limit} 字节未显示]"


@dataclass
class TestResult:
    """The result of one check (a visible test cell or a hidden test)."""

    name: str  # "ps1.greet_all: each name is passed whole"; stable, used by teachers' tools
    exercise: str
    title: Msg
    max_score: float
    score: float = 0.0
    outcome: str = "not_run"
    message: Msg = field(default_factory=lambda: Msg("", ""))
    student_output: str = ""
    visibility: str = "hidden"  # "visible" tests are the ones the student has

    __test__ = False  # not a pytest test class

    @property
    def status(self) -> str:
        return "passed" if self.score >= self.max_score else "failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "exercise": self.exercise,
            "title": self.title.to_dict(),
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "outcome": self.outcome,
            "message": self.message.to_dict(),
            "student_output": self.student_output,
            "visibility": self.visibility,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestResult:
        return cls(
            name=data["name"],
            exercise=data["exercise"],
            title=Msg.from_dict(data["title"]),
            max_score=float(data["max_score"]),
            score=float(data["score"]),
            outcome=data["outcome"],
            message=Msg.from_dict(data["message"]),
            student_output=data.get("student_output", ""),
            visibility=data.get("visibility", "hidden"),
        )

    def feedback(self, lang: str) -> str:
        """The feedback text for this test in one language, student output capped."""
        parts = []
        text = self.message.get(lang).strip()
        if text:
            parts.append(text)
        if self.student_output.strip():
            header = "你的程序输出：" if lang == "zh" else "Your program printed:"
            parts.append(f"{header}\n{cap_text(self.student_output)}")
        if not parts:
            parts.append("通过" if lang == "zh" else "Passed")
        return "\n\n".join(parts)


@dataclass
class GradeResult:
    """Everything known about one graded submission."""

    problem_set: str
    submission: str
    grader_version: str
    tests: list[TestResult] = field(default_factory=list)
    notices: list[Msg] = field(default_factory=list)
    execution_time: float = 0.0

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    def exercises(self) -> dict[str, tuple[float, float]]:
        """Exercise id -> (score, max_score), in problem-set order."""
        totals: dict[str, tuple[float, float]] = {}
        for t in self.tests:
            score, max_score = totals.get(t.exercise, (0.0, 0.0))
            totals[t.exercise] = (score + t.score, max_score + t.max_score)
        return totals

    def to_dict(self) -> dict[str, Any]:
        return {
            "problem_set": self.problem_set,
            "submission": self.submission,
            "grader_version": self.grader_version,
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 3),
            "notices": [n.to_dict() for n in self.notices],
            "tests": [t.to_dict() for t in self.tests],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradeResult:
        return cls(
            problem_set=data["problem_set"],
            submission=data["submission"],
            grader_version=data["grader_version"],
            tests=[TestResult.from_dict(t) for t in data["tests"]],
            notices=[Msg.from_dict(n) for n in data.get("notices", [])],
            execution_time=float(data.get("execution_time", 0.0)),
        )

    def to_gradescope_dict(self, lang: str) -> dict[str, Any]:
        """Gradescope's results.json (the contract in COURSE.md)."""
        doc: dict[str, Any] = {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 3),
            "tests": [
                {
                    "name": t.name,
                    "score": t.score,
                    "max_score": t.max_score,
                    "status": t.status,
                    "output": t.feedback(lang),
                    "visibility": "visible",
                }
                for t in self.tests
            ],
        }
        if self.notices:
            doc["output"] = "\n".join(n.get(lang) for n in self.notices)
        return doc
