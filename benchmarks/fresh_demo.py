"""`make demo` as a new user runs it: a fresh clone, a new virtual environment, then grading.

    python3 benchmarks/fresh_demo.py [--keep]

Clones this repository's HEAD into a temporary folder and times `make setup`, `make release` and
the grading step of `make demo` there (the grading step twice, the second time into a new output
folder, to compare a first run with a later one). Writes benchmarks/results/fresh_demo.{json,md}
with the machine and the date. Nothing is asserted: a slow step is a number to watch.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"graded (\d+) submission\(s\) in [\d:]+ \(([\d.]+) s per submission\).*median ([\d.]+) s, max ([\d.]+) s")


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout + done.stderr


def grading(clone: Path, out: str) -> dict:
    seconds, log = timed([".venv/bin/python", "-m", "autograder", "-v", "grade", "examples/submissions",
                          "--out", out, "--no-gradebook"], clone)
    match = SUMMARY.search(log)
    return {"wall_s": round(seconds, 1), "sandbox": "WITHOUT a sandbox" not in log,
            "median_per_notebook_s": float(match[3]) if match else None,
            "max_per_notebook_s": float(match[4]) if match else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="fresh-demo-"))
    clone = base / "course"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    steps = {}
    steps["make setup"], _ = timed(["make", "setup"], clone)
    steps["make release"], _ = timed(["make", "release"], clone)
    first, later = grading(clone, "demo-out"), grading(clone, "demo-out-2")
    result = {"date": datetime.date.today().isoformat(),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform(), "system_bwrap": shutil.which("bwrap")},
              "steps_s": {k: round(v, 1) for k, v in steps.items()},
              "first_grading": first, "second_grading": later}
    out = ROOT / "benchmarks" / "results"
    (out / "fresh_demo.json").write_text(json.dumps(result, indent=1) + "\n")
    rows = [f"| {name} | {seconds} |" for name, seconds in result["steps_s"].items()]
    rows += [f"| grading, {label} run (6 examples, warm, sandbox: {'yes' if g['sandbox'] else 'NO'}) | "
             f"{g['wall_s']} (per notebook: median {g['median_per_notebook_s']}, max {g['max_per_notebook_s']}) |"
             for label, g in (("first", first), ("second", later))]
    machine = result["machine"]
    (out / "fresh_demo.md").write_text(
        f"`make demo` in a fresh clone, {result['date']}: {machine['cpus']} CPUs, Python {machine['python']}, "
        f"system bwrap: {machine['system_bwrap'] or 'none (the bundled one)'}\n\n"
        "| step | seconds |\n|---|---|\n" + "\n".join(rows) + "\n")
    print((out / "fresh_demo.md").read_text())
    if args.keep:
        print(f"clone kept in {clone}")
    else:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
