"""Every corpus, graded with and without skipping: per-cell scores must be identical.

    python benchmarks/skip_equivalence.py [--workers 2]

Grades, once as usual (cells tagged skip-when-grading left out) and once with `--run-all`:
every wrong answer of the corpus (tests/corpus/notebooks.py: notebook k of an assignment holds
the k-th wrong implementation of each function), one notebook per assignment with the correct
variants, the full solutions, the examples, and every hostile submission of
tests/autograder/hostile.py. Writes benchmarks/results/skip_equivalence.{json,md}: cells compared,
cells equal, the differences (there must be none) and both wall times.
tests/autograder/test_skip_equivalence.py grades a sample of the same both ways on every test run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"


def build(folder: Path) -> dict[str, int]:
    from tests.autograder.hostile import HOSTILE, PERFECT
    from tests.corpus.notebooks import TOPICS, corpus_notebook, wrong_notebooks

    def write(nb, student: str, assignment: str) -> None:
        target = folder / student / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)

    counts = {"wrong": 0, "correct_variants": 0, "solutions": 0, "examples": 0, "hostile": 0}
    for assignment in TOPICS:
        for k, nb in enumerate(wrong_notebooks(assignment)):
            write(nb, f"wrong{k:02d}", assignment)
            counts["wrong"] += 1
        write(corpus_notebook(assignment, lambda name, wrong, correct: correct[0] if correct else None),
              "correct", assignment)
        write(corpus_notebook(assignment, lambda *_: None), "solution", assignment)
        counts["correct_variants"] += 1
        counts["solutions"] += 1
    for student in ("alice", "bob", "carol", "dave"):
        shutil.copytree(ROOT / "examples" / "submissions" / student, folder / student)
        counts["examples"] += 1
    env = {"paths": [], "write_paths": [], "port": 9, "secret_name": "DLCOURSE_TEST_SECRET"}
    for name, (build_attack, *_) in HOSTILE.items():
        write(build_attack(nbformat.read(PERFECT, as_version=4), env), f"hostile-{name}", "01_fitting")
        counts["hostile"] += 1
    return counts


def main() -> int:
    from autograder.flows.grade import grade
    from autograder.config import Limits

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    report = {"date": datetime.now().isoformat(timespec="seconds"), "machine": platform.platform(),
              "cpus": os.cpu_count(), "workers": args.workers, "load_average_at_start": os.getloadavg()}
    limits = Limits(cell_timeout_s=30, notebook_timeout_s=600)  # the hostile loops stop after 30 s
    with tempfile.TemporaryDirectory(prefix="bench-equivalence-") as name:
        base = Path(name)
        report["submissions"] = build(base / "submissions")
        runs = {}
        for run_all in (False, True):
            started = time.monotonic()
            results = grade(submissions=base / "submissions", out=base / f"out-{run_all}", root=ROOT,
                            workers=args.workers, limits=limits, progress=True, run_all=run_all)
            report["run_all_wall_s" if run_all else "skipping_wall_s"] = time.monotonic() - started
            runs[run_all] = {(r.student_id, r.assignment): r for r in results}
    compared = equal = 0
    differences = []
    for key, result in runs[False].items():
        for cell, other in zip(result.cells, runs[True][key].cells):
            compared += 1
            if (cell.grade_id, cell.points) == (other.grade_id, other.points):
                equal += 1
            else:
                differences.append(f"{key[0]}/{key[1]} {cell.grade_id}: {cell.points:g} skipping, "
                                   f"{other.points:g} running all")
    report.update(notebooks=len(runs[False]), cells_compared=compared, cells_equal=equal,
                  differences=differences, statuses_differ=sorted(
                      f"{k[0]}/{k[1]}: {r.status} vs {runs[True][k].status}" for k, r in runs[False].items()
                      if r.status != runs[True][k].status),
                  load_average_at_end=os.getloadavg())
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "skip_equivalence.json").write_text(json.dumps(report, indent=1))
    (RESULTS / "skip_equivalence.md").write_text(markdown(report))
    print(markdown(report))
    return 0 if not differences else 1


def markdown(report: dict) -> str:
    return "\n".join([
        f"# Skipping changes no score ({report['date']}, {report['cpus']} CPUs, {report['workers']} workers, "
        f"{report['machine']})", "",
        f"{report['notebooks']} submissions ({report['submissions']}) graded twice: per-cell scores equal on "
        f"**{report['cells_equal']} of {report['cells_compared']}** cells"
        + (": " + "; ".join(report["differences"][:20]) if report["differences"] else "."),
        f"Statuses that differ: {'; '.join(report['statuses_differ']) or 'none'}.", "",
        f"Wall time: {report['skipping_wall_s']:.0f} s skipping the tagged cells, {report['run_all_wall_s']:.0f} s "
        "running all (`--run-all`). Load average at start "
        f"{', '.join(f'{v:.1f}' for v in report['load_average_at_start'])}, at end "
        f"{', '.join(f'{v:.1f}' for v in report['load_average_at_end'])}.", ""])


if __name__ == "__main__":
    raise SystemExit(main())
