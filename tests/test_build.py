"""The generated files are fresh and say what they should.

The build is the only way notebooks, skeleton and solution modules reach students, so
these tests pin its promises: nothing stale in the repo, the release notebook starts the
student from the skeleton (not nbgrader's NotImplementedError) and carries no solution,
the solution module earns every point and the skeleton loses points on every exercise.
"""

from __future__ import annotations

import nbformat
import pytest

from autograder import build
from autograder.catalog import PROBLEM_SETS
from autograder.content import load_content
from autograder.runner import grade

ROOT = build.ROOT
PROBLEM_SET_IDS = sorted(PROBLEM_SETS)


def built(ps_id: str) -> list[str]:
    """Exercises of the problem set that its content file already covers."""
    content = load_content(PROBLEM_SETS[ps_id])
    return [c.exercise for c in content.of_kind("solution")]


@pytest.mark.slow
def test_generated_files_are_fresh(capsys: pytest.CaptureFixture[str]) -> None:
    code = build.build(check=True)
    out = capsys.readouterr().out
    assert code == 0, f"generated files are stale; run `python -m autograder build`:\n{out}"


@pytest.mark.parametrize("ps_id", PROBLEM_SET_IDS)
def test_release_notebook_holds_skeletons_not_solutions(ps_id: str) -> None:
    ps = PROBLEM_SETS[ps_id]
    content = load_content(ps)
    nb = nbformat.read(ROOT / "release" / ps.id / ps.notebook_name, as_version=4)
    solution_cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
                      if c.metadata.get("nbgrader", {}).get("solution")}
    assert sorted(solution_cells) == sorted(built(ps_id))
    for exercise, cell in solution_cells.items():
        assert cell.source == content.code("skeleton", exercise)
        assert "NotImplementedError" not in cell.source
        assert "kit" not in cell.metadata
    text = (ROOT / "release" / ps.id / ps.notebook_name).read_text(encoding="utf-8")
    for exercise in built(ps_id):
        solution = content.code("solution", exercise)
        if solution != content.code("skeleton", exercise):
            assert solution not in text, f"the solution of {exercise} leaked into the release notebook"
    assert "BEGIN SOLUTION" not in text
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            exercise = meta["grade_id"].removeprefix("test_")
            assert meta["points"] == ps.exercise(exercise).points
            assert meta["locked"] and cell.cell_type == "code"


@pytest.mark.parametrize("ps_id", PROBLEM_SET_IDS)
def test_release_notebook_has_one_grade_cell_per_exercise(ps_id: str) -> None:
    ps = PROBLEM_SETS[ps_id]
    nb = nbformat.read(ROOT / "release" / ps.id / ps.notebook_name, as_version=4)
    grade_ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert grade_ids == [f"test_{ex}" for ex in built(ps_id)]


@pytest.mark.parametrize("ps_id", PROBLEM_SET_IDS)
def test_points_add_up_to_the_catalog(ps_id: str) -> None:
    assert build.points_mismatches(load_content(PROBLEM_SETS[ps_id])) == []


@pytest.mark.slow
@pytest.mark.parametrize("ps_id", PROBLEM_SET_IDS)
def test_solution_module_passes(ps_id: str) -> None:
    ps = PROBLEM_SETS[ps_id]
    result = grade(ps.id, ROOT / "solutions" / ps.id / f"{ps.module}.py")
    failed = [f"{t.name}: {t.message.en}" for t in result.tests if t.status != "passed"]
    assert not failed, "\n".join(failed)
    assert result.score == result.max_score > 0


@pytest.mark.slow
@pytest.mark.parametrize("ps_id", PROBLEM_SET_IDS)
def test_skeleton_module_loses_points_on_every_exercise(ps_id: str) -> None:
    ps = PROBLEM_SETS[ps_id]
    result = grade(ps.id, ROOT / "assignments" / ps.id / f"{ps.module}.py")
    per_exercise = result.exercises()
    for exercise in built(ps_id):
        score, max_score = per_exercise[exercise]
        assert score < max_score, f"the skeleton of {exercise} earns full marks"


def test_build_is_byte_stable_in_memory() -> None:
    """Two renderings of the same content are identical (no time, path or set order leaks in)."""
    for ps in PROBLEM_SETS.values():
        content = load_content(ps)
        first = build.notebook_bytes(build.source_notebook(content))
        second = build.notebook_bytes(build.source_notebook(load_content(ps)))
        assert first == second
        assert build.module_text(content, solution=True) == build.module_text(content, solution=True)
        assert str(ROOT) not in first.decode("utf-8")


def test_demo_cells_are_guarded() -> None:
    assert build._guarded('if __name__ == "__main__":\n    print(1)') == 'if __name__ == "__main__":\n    print(1)'
    assert build._guarded("# demo\nprint(1)") == 'if __name__ == "__main__":\n    # demo\n    print(1)'
    with pytest.raises(build.BuildError):
        build._guarded('print("""a\nb""")')


def test_check_reports_stale_missing_and_extra(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    ps = next(iter(PROBLEM_SETS.values()))
    files = {f"source/{ps.id}/{ps.notebook_name}": b"new", f"solutions/{ps.id}/{ps.module}.py": b"same"}
    (tmp_path / "source" / ps.id).mkdir(parents=True)
    (tmp_path / "source" / ps.id / ps.notebook_name).write_bytes(b"old")
    (tmp_path / "assignments" / ps.id).mkdir(parents=True)
    (tmp_path / "assignments" / ps.id / "leftover.py").write_bytes(b"")
    report = build.compare(files, tmp_path, [ps], everything=True)
    assert report == {"stale": [f"source/{ps.id}/{ps.notebook_name}"],
                      "missing": [f"solutions/{ps.id}/{ps.module}.py"],
                      "extra": [f"assignments/{ps.id}/leftover.py"]}
