"""Latency of one notebook: `grade` from the command to grades.csv, cold and warm; `validate --quick`.

    python benchmarks/grading_latency.py [--repeat 3]

`grade` runs as a teacher runs it (`python -m autograder grade DIR --out OUT --workers 1`), on one
full solution of each assignment in turn:
- first ever: no grading daemon and no cached template (a fresh machine);
- cold: no daemon (stopped before the run), templates cached;
- warm: the daemon the previous run left (`--keep-warm`), its worker already started.
Each gives the wall time of the whole command and the time until grades.csv was written (the
class report comes after it). `validate --quick` and `validate` run on the same full solutions;
`validate --quick` warm (a worker of the daemon `grade` left), first (no daemon: it starts one) and
in a fresh kernel (`--keep-warm 0`, as on a machine without the sandbox).
Writes benchmarks/results/grading_latency.{json,md} with the machine, the load and the date.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
ASSIGNMENTS = ["01_fitting", "02_weight_decay", "03_dropout", "04_stability", "05_remedies"]


def _command(*args: str, env: dict) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def grade_once(submissions: Path, out: Path, env: dict) -> dict:
    started = time.time()
    wall = _command("grade", str(submissions), "--out", str(out), "--workers", "1", "--no-gradebook",
                    "--quiet", env=env)
    return {"wall_s": round(wall, 2), "to_grades_csv_s": round((out / "grades.csv").stat().st_mtime - started, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="warm runs and validate runs per notebook")
    args = parser.parse_args()
    report = {"date": datetime.now().isoformat(timespec="seconds"), "machine": platform.platform(),
              "cpus": os.cpu_count(), "python": platform.python_version(),
              "load_average_at_start": os.getloadavg(), "grade": {}, "validate": {}}
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as name:
        base = Path(name)
        env = {**os.environ, "DLCOURSE_CACHE": str(base / "cache"), "DLCOURSE_RUNTIME_DIR": str(base / "run"),
               "DLCOURSE_KEEP_WARM": "10"}
        _command("solutions", "--out", str(base / "solutions"), env=env)
        for assignment in ASSIGNMENTS:
            notebook = base / "solutions" / assignment / f"{assignment}.ipynb"
            submissions = base / f"subs-{assignment}" / "teacher" / assignment
            submissions.mkdir(parents=True)
            shutil.copy(notebook, submissions)
            runs = {}
            _command("stop", env=env)
            runs["first_ever"] = grade_once(submissions.parent.parent, base / f"out-{assignment}-0", env)
            _command("stop", env=env)
            runs["cold"] = grade_once(submissions.parent.parent, base / f"out-{assignment}-1", env)
            warm = [grade_once(submissions.parent.parent, base / f"out-{assignment}-w{i}", env)
                    for i in range(args.repeat)]
            runs["warm"] = {key: statistics.median(r[key] for r in warm) for key in warm[0]}
            report["grade"][assignment] = runs
            quick = [_command("validate", "--quick", str(notebook), env=env) for _ in range(args.repeat)]
            fresh = [_command("validate", "--quick", "--keep-warm", "0", str(notebook), env=env)
                     for _ in range(args.repeat)]
            _command("stop", env=env)
            first = _command("validate", "--quick", str(notebook), env=env)
            full = _command("validate", str(notebook), env=env)
            report["validate"][assignment] = {"quick_s": round(statistics.median(quick), 2),
                                              "quick_first_s": round(first, 2),
                                              "quick_fresh_kernel_s": round(statistics.median(fresh), 2),
                                              "full_s": round(full, 2)}
            print(assignment, runs, report["validate"][assignment], flush=True)
        _command("stop", env=env)
    report["load_average_at_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "grading_latency.json").write_text(json.dumps(report, indent=1))
    (RESULTS / "grading_latency.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def markdown(report: dict) -> str:
    load = lambda key: ", ".join(f"{v:.1f}" for v in report[key])  # noqa: E731
    lines = [f"# One notebook: grade and validate ({report['date']}, {report['cpus']} CPUs, Python "
             f"{report['python']}, {report['machine']})", "",
             "`python -m autograder grade DIR --out OUT --workers 1` on one full solution (seconds: whole "
             "command / until grades.csv is written); `validate --quick` and `validate` on the same notebook "
             "(median of the runs): `--quick` warm (a worker of the daemon kept), first (no daemon: it starts "
             "one), and in a fresh kernel (`--keep-warm 0`).", "",
             "| assignment | first ever (nothing cached) | cold (no daemon) | warm (daemon kept) | "
             "validate --quick: warm / first / fresh kernel | validate |", "|---|---|---|---|---|---|"]
    for assignment, runs in report["grade"].items():
        cells = [f"{runs[k]['wall_s']:.1f} / {runs[k]['to_grades_csv_s']:.1f}" for k in ("first_ever", "cold", "warm")]
        check = report["validate"][assignment]
        quick = " / ".join(f"{check[k]:.1f}" for k in ("quick_s", "quick_first_s", "quick_fresh_kernel_s"))
        lines.append(f"| {assignment} | {' | '.join(cells)} | {quick} | {check['full_s']:.1f} |")
    lines += ["", f"Load average (1, 5, 15 min) at start {load('load_average_at_start')}, at end "
                  f"{load('load_average_at_end')} (a shared machine).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
