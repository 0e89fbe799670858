"""The student's notebook in a real Jupyter kernel (nbclient + ipykernel), as students run it.

With the reference solution every cell runs cleanly; with the release skeleton every
exercise's test cell fails with an error the student can read, and no cell hangs the kernel
(the visible tests bound their waits with ``run_with_limit``).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.catalog import PROBLEM_SETS

ROOT = Path(__file__).resolve().parent.parent


def execute(path: Path, tmp_path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=60, allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return nb


def grade_cells(nb: nbformat.NotebookNode) -> dict[str, list]:
    return {cell.metadata["nbgrader"]["grade_id"]: cell.outputs for cell in nb.cells
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")}


def errors(outputs: list) -> list[str]:
    return [f"{o.get('ename')}: {o.get('evalue')}" for o in outputs if o.output_type == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("ps_id", sorted(PROBLEM_SETS))
def test_reference_notebook_runs_cleanly_in_a_kernel(tmp_path, ps_id):
    ps = PROBLEM_SETS[ps_id]
    nb = execute(ROOT / "examples" / "class" / "submitted" / "correct" / ps.id / ps.notebook_name, tmp_path)
    failed = {i: errors(cell.outputs) for i, cell in enumerate(nb.cells)
              if cell.cell_type == "code" and errors(cell.outputs)}
    assert not failed
    tests = grade_cells(nb)
    assert set(tests) == {f"test_{ex.id}" for ex in ps.exercises}
    for grade_id, outputs in tests.items():
        printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
        assert "✓" in printed, f"{grade_id} printed no success line: {printed!r}"


@pytest.mark.slow
@pytest.mark.parametrize("ps_id", sorted(PROBLEM_SETS))
def test_release_skeleton_fails_every_test_cell_without_hanging(tmp_path, ps_id):
    ps = PROBLEM_SETS[ps_id]
    nb = execute(ROOT / "release" / ps.id / ps.notebook_name, tmp_path)  # a hang would hit nbclient's 60 s
    for grade_id, outputs in grade_cells(nb).items():
        assert errors(outputs), f"{grade_id} passed on the skeleton"
