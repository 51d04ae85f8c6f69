"""Rebuild examples/submissions/ from release/ and source/ (run by `make release`).

Six students hand in 01_fitting, in nbgrader's <student>/<assignment>/ layout:
alice (everything right), bob (the untouched release), carol (partly right, partly buggy),
dave (right, but one cell has a syntax error), erin (a file that is not valid JSON) and
frank (an empty folder: no notebook). examples/expected.json holds the scores they must get.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "submissions"
ASSIGNMENT = "01_fitting"

CAROL = {  # grade_id -> the code carol handed in (None: left as released)
    "poly_features": "solution",
    "mse": "solution",
    "fit_least_squares": "solution",
    "underfitting_answer": "solution",
    "more_data_answer": "train_mse_degree8 = 0.01",  # the noise variance: forgets the 1 - P/N
    "kfold_indices": '''def kfold_indices(n, k):
    """K-fold split, D2L style."""
    fold_size = n // k
    folds = []
    for i in range(k):
        val_idx = torch.arange(i * fold_size, (i + 1) * fold_size)
        train_idx = torch.cat([torch.arange(0, i * fold_size), torch.arange((i + 1) * fold_size, k * fold_size)])
        folds.append((train_idx, val_idx))
    return folds''',
    "early_stopping_epoch": "solution",
}


def _solutions(nb) -> dict[str, str]:
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def _without_markers(code: str) -> str:
    return "\n".join(line for line in code.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def _filled(release, answers: dict[str, str]):
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def _write(student: str, nb) -> None:
    folder = OUT / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")


def main() -> None:
    release = nbformat.read(ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    solutions = {k: _without_markers(v) for k, v in _solutions(source).items()}
    shutil.rmtree(OUT, ignore_errors=True)
    _write("alice", _filled(release, solutions))
    _write("bob", release)
    _write("carol", _filled(release, {k: solutions[k] if v == "solution" else v for k, v in CAROL.items()}))
    broken = dict(solutions, poly_features=solutions["poly_features"].replace(
        "def poly_features(x, degree):", "def poly_features(x, degree)"))
    _write("dave", _filled(release, broken))
    erin = OUT / "erin" / ASSIGNMENT
    erin.mkdir(parents=True)
    text = nbformat.writes(_filled(release, solutions))
    (erin / f"{ASSIGNMENT}.ipynb").write_text(text[: len(text) // 2])  # an interrupted upload
    frank = OUT / "frank" / ASSIGNMENT
    frank.mkdir(parents=True)
    (frank / "README.txt").write_text("frank uploaded nothing: this folder has no notebook.\n")


if __name__ == "__main__":
    main()
