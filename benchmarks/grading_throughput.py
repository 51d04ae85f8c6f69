"""Grading throughput: stock `nbgrader autograde` against this course's grader, on the same batch.

    python benchmarks/grading_throughput.py [--per-assignment 40] [--assignments 01_fitting ...]
                                            [--mix complete:20,untouched:20] [--workers 2]
                                            [--one-worker] [--dask] [--skip-nbgrader]

1. Builds a realistic batch per assignment (seeded): 40 % complete, 35 % partly done (some
   fill-ins left as stubs, some questions answered wrongly), 10 % untouched, 15 % broken (a
   syntax error, a kernel that dies half way, an interrupted upload that is not JSON); or the
   counts given by --mix.
2. Grades it with stock nbgrader (a private copy of the course with nbgrader's own Execute, one
   `nbgrader autograde ASSIGNMENT` per assignment: serial, a fresh kernel per notebook), then
   with `grade` (warm workers, all cores), and optionally cold, and on a local Dask cluster
   with 1 and then 2 workers (scaling efficiency).
3. Checks that every cell's score agrees between the two wherever stock nbgrader produced one,
   and reports wall time, the ratio, the per-notebook overhead beyond executing the cells, the
   peak memory (PSS) of each worker's process tree, and where a unit's time goes (its phases:
   answer cells, test cells, other cells that ran, skipped cells, kernel start, nbgrader's
   bookkeeping, feedback; see autograder/engine/timing.py), beside stock nbgrader's cells by kind.

Results go to benchmarks/results/grading_throughput.{json,md} (--name to change the stem).
Recorded runs: `--per-assignment 40 --assignments 03_dropout --mix complete:20,untouched:20
--one-worker --dask --name grading_throughput` (issue 18's batch); earlier, 01_fitting and
04_stability (grading_throughput before issue 18, in git history) and
`--per-assignment 20 --assignments 01_fitting --skip-nbgrader --dask --name grading_dask_scaling`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
ASSIGNMENTS = ["01_fitting", "02_weight_decay", "03_dropout", "04_stability", "05_remedies"]
STOCK_CONFIG = """c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "bench"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.Execute.timeout = 60
"""


# -- the batch ------------------------------------------------------------------------------------

def _solutions(source) -> dict[str, str]:
    strip = ("### BEGIN SOLUTION", "### END SOLUTION")
    from autograder import cells

    return {grade_id: "\n".join(l for l in c.source.splitlines() if l.strip() not in strip)
            for grade_id, c in cells.solution_cells(source).items()}


def _kind(index: int, count: int) -> str:
    share = index / count
    return ("complete" if share < 0.40 else "partial" if share < 0.75 else "untouched" if share < 0.85
            else ("syntax_error", "crash", "not_json")[index % 3])


def build_batch(folder: Path, assignments: list[str], per_assignment: int, seed: int = 0,
                mix: dict[str, int] | None = None) -> dict:
    """<folder>/<student>/<assignment>/<assignment>.ipynb; returns {student: kind} per assignment.

    `mix`: how many submissions of each kind (in that order), instead of the default shares.
    """
    order = [kind for kind, count in (mix or {}).items() for _ in range(count)]
    from autograder import cells

    kinds: dict[str, dict[str, str]] = {}
    for assignment in assignments:
        rng = random.Random(f"{seed}-{assignment}")
        release = nbformat.read(ROOT / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        solutions = _solutions(nbformat.read(ROOT / "source" / assignment / f"{assignment}.ipynb", as_version=4))
        kinds[assignment] = {}
        for index in range(per_assignment):
            student, kind = f"s{index:03d}", order[index] if order else _kind(index, per_assignment)
            kinds[assignment][student] = kind
            nb = nbformat.from_dict(json.loads(json.dumps(release)))
            ids = list(solutions)
            keep = set(ids)
            if kind == "partial":
                keep -= set(rng.sample(ids, k=max(1, len(ids) // 3)))
            elif kind == "untouched":
                keep = set()
            for cell in nb.cells:
                grade_id = cells.grade_id_of(cell)
                if grade_id in keep:
                    cell.source = solutions[grade_id]
            if kind == "syntax_error":
                first = next(c for c in nb.cells if cells.grade_id_of(c) == ids[0])
                first.source = first.source.replace("def ", "def (", 1) + "\n)"
            elif kind == "crash":
                test_cells = [i for i, c in enumerate(nb.cells) if cells.is_test_cell(c)]
                nb.cells.insert(test_cells[len(test_cells) // 2] + 1, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
            target = folder / student / assignment / f"{assignment}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            text = nbformat.writes(nb)
            target.write_text(text[: len(text) // 2] if kind == "not_json" else text)
    return kinds


# -- stock nbgrader -------------------------------------------------------------------------------

def run_stock(batch: Path, assignments: list[str], course: Path) -> dict:
    """`nbgrader autograde` per assignment in a private course; per-cell scores and wall time."""
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(STOCK_CONFIG.format(root=str(course)))
    for assignment in assignments:
        shutil.copytree(ROOT / "source" / assignment, course / "source" / assignment)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    nbgrader = [sys.executable, "-m", "nbgrader"]
    for assignment in assignments:
        subprocess.run([*nbgrader, "generate_assignment", assignment, "--force"], cwd=course, env=env,
                       check=True, capture_output=True)
    shutil.copytree(batch, course / "submitted")
    started = time.monotonic()
    for assignment in assignments:
        subprocess.run([*nbgrader, "autograde", assignment, "--force"], cwd=course, env=env,
                       capture_output=True)  # exits 1 when some submission failed: expected here
    autograde_wall = time.monotonic() - started
    for assignment in assignments:  # what students receive: our grader makes it in the same run
        subprocess.run([*nbgrader, "generate_feedback", assignment, "--force"], cwd=course, env=env,
                       capture_output=True)
    wall = time.monotonic() - started
    from nbgrader.api import Gradebook

    scores: dict = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for assignment in assignments:
            for submission in gradebook.assignment_submissions(assignment):
                for notebook in submission.notebooks:
                    scores[f"{submission.student_id}/{assignment}"] = {
                        grade.name: float(grade.auto_score or 0.0) for grade in notebook.grades}
    from autograder.engine.scoring import execution_seconds

    executed = [nbformat.read(p, as_version=4) for p in (course / "autograded").glob("*/*/*.ipynb")]
    cell_seconds = [execution_seconds(nb) for nb in executed]
    return {"wall_s": wall, "autograde_wall_s": autograde_wall, "graded": len(cell_seconds), "scores": scores,
            "cell_seconds": cell_seconds, "cells_by_kind": mean_dicts([stock_cells(nb) for nb in executed])}


def stock_cells(nb) -> dict[str, float]:
    """Stock nbgrader's kernel seconds in one notebook by kind of cell (demos: the skip-tagged ones)."""
    from autograder.cells import is_solution, is_test_cell
    from autograder.engine.skipping import is_tagged
    from autograder.engine.timing import _seconds

    kinds = dict.fromkeys(("cells_solution", "cells_test", "cells_demos", "cells_other"), 0.0)
    for cell in nb.cells:
        kind = ("cells_test" if is_test_cell(cell) else "cells_demos" if is_tagged(cell) else
                "cells_solution" if is_solution(cell) else "cells_other")
        kinds[kind] += _seconds(cell) or 0.0 if cell.cell_type == "code" else 0.0
    return kinds


def mean_dicts(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: sum(row.get(key, 0.0) for row in rows) / len(rows) for key in rows[0]} if rows else {}


# -- this course's grader -------------------------------------------------------------------------

class PeakMemory:
    """Peak PSS of each worker's process tree (worker, sandbox, zygote, kernel), sampled every 0.2 s."""

    def __init__(self):
        import psutil

        self.psutil, self.peak_mb, self._stop = psutil, {}, threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        me = self.psutil.Process()
        while not self._stop.is_set():
            for child in me.children():  # one per worker (`python -m autograder.engine.worker_main`)
                try:
                    tree = [child, *child.children(recursive=True)]
                    total = sum(p.memory_full_info().pss for p in tree) / 2**20
                except (self.psutil.Error, OSError):
                    continue
                self.peak_mb[child.pid] = max(self.peak_mb.get(child.pid, 0.0), total)
            self._stop.wait(0.2)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join()


def run_ours(batch: Path, out: Path, workers: int, warm: bool = True, dask: str | None = None,
             keep_warm: float = 0.0, cache: str | None = None) -> dict:
    """One timed `grade` run; templates are built in it unless `cache` names a folder of ready ones."""
    from autograder.flows.grade import grade

    from autograder.flows import pool

    os.environ["DLCOURSE_CACHE"] = cache or str(out.parent / f"cache-{out.name}")
    finished: list[float] = []  # when each result reached the parent (the pool's threads)
    grade_one = pool._grade_one

    def timed(*args, **kwargs):
        result = grade_one(*args, **kwargs)
        finished.append(time.monotonic())
        return result

    pool._grade_one = timed
    try:
        with PeakMemory() as memory:
            started = time.monotonic()
            results = grade(submissions=batch, out=out, root=ROOT, workers=workers, warm=warm, dask=dask,
                            progress=True, keep_warm=keep_warm)
            wall = time.monotonic() - started
    finally:
        pool._grade_one = grade_one
    finished.sort()
    executed = [r for r in results if r.cell_seconds > 0]
    needed = [sum(r.phases.get(k, 0) for k in NEEDED) for r in executed]
    in_worker = [sum(r.phases.get(k, 0) for k in UNIT_LAPS) for r in executed]  # no wait for a worker's start
    return {"wall_s": wall, "graded": len(executed),
            # start-up (templates, workers) until the first result; then results per second
            "first_result_s": finished[0] - started if finished else None,
            "steady_per_s": (len(finished) - 1) / (finished[-1] - finished[0]) if len(finished) > 1 else None,
            "phases": mean_dicts([r.phases for r in executed if r.phases]),
            "beyond_needed_cells_s": sorted(r.seconds - n for r, n in zip(executed, needed)),
            "beyond_needed_in_worker_s": sorted(w - n for w, n in zip(in_worker, needed)),
            "needed_cell_seconds": needed,
            "scores": {f"{r.student_id}/{r.assignment}": {c.grade_id: c.points for c in r.cells} for r in results},
            "statuses": {f"{r.student_id}/{r.assignment}": r.status for r in results},
            "cell_seconds": [r.cell_seconds for r in executed],
            "unit_overhead_s": sorted(r.seconds - r.cell_seconds for r in executed),
            "peak_pss_mb": sorted(memory.peak_mb.values())}


def start_dask(folder: Path, workers: int):
    dask = str(Path(sys.executable).parent / "dask")
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                   "--scheduler-file", str(folder / "scheduler.json")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    while not (folder / "scheduler.json").exists():
        time.sleep(0.2)
    for index in range(workers):
        processes.append(subprocess.Popen([dask, "worker", "--scheduler-file", str(folder / "scheduler.json"),
                                           "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard",
                                           "--memory-limit", "0", "--name", f"w{index}"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    from distributed import Client

    address = json.loads((folder / "scheduler.json").read_text())["address"]
    with Client(address) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, processes


def stop(processes) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait()


# -- report ---------------------------------------------------------------------------------------

def agreement(stock: dict, ours: dict) -> dict:
    """Per-cell scores of both graders, on every submission stock nbgrader scored.

    A kernel that dies makes stock nbgrader drop the notebook's scores (0 everywhere) while this
    grader keeps what ran before the crash: those cells are counted apart, as intended differences.
    """
    same = differ = by_design = 0
    mismatches = []
    for key, cells in stock["scores"].items():
        for cell, score in cells.items():
            if key not in ours["scores"] or cell not in ours["scores"][key]:
                continue
            if abs(ours["scores"][key][cell] - score) < 1e-9:
                same += 1
            elif ours["statuses"].get(key) == "crashed" and score == 0:
                by_design += 1
            else:
                differ += 1
                mismatches.append(f"{key} {cell}: nbgrader {score:g}, ours {ours['scores'][key][cell]:g} "
                                  f"({ours['statuses'].get(key)})")
    return {"cells_compared": same + differ, "cells_equal": same, "mismatches": mismatches,
            "crash_cells_kept_by_us": by_design}


def per_notebook_overhead(run: dict, workers: int) -> float:
    """Worker-seconds per executed notebook beyond the time its cells ran."""
    if not run["graded"]:
        return 0.0
    return run["wall_s"] * workers / run["graded"] - sum(run["cell_seconds"]) / run["graded"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-assignment", type=int, default=40)
    parser.add_argument("--assignments", nargs="+", default=ASSIGNMENTS)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cold", action="store_true", help="also grade with a fresh process per notebook")
    parser.add_argument("--dask", action="store_true", help="also grade on a local Dask cluster, 1 then 2 workers")
    parser.add_argument("--skip-nbgrader", action="store_true")
    parser.add_argument("--mix", default="", help="kinds and counts per assignment, e.g. complete:20,untouched:20")
    parser.add_argument("--one-worker", action="store_true", help="also grade with 1 local worker (scaling)")
    parser.add_argument("--warm-start", action="store_true",
                        help="also time a second run that finds the daemon's workers warm and the templates cached")
    parser.add_argument("--name", default="grading_throughput", help="results file stem in benchmarks/results/")
    args = parser.parse_args()
    mix = {kind: int(count) for kind, count in (p.split(":") for p in args.mix.split(",") if p)} or None
    per_assignment = sum(mix.values()) if mix else args.per_assignment
    report: dict = {"date": datetime.now().isoformat(timespec="seconds"), "machine": platform.platform(),
                    "cpus": os.cpu_count(), "workers": args.workers, "assignments": args.assignments,
                    "per_assignment": per_assignment, "load_average_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as name:
        base = Path(name)
        kinds = build_batch(base / "batch", args.assignments, per_assignment, mix=mix)
        report["batch"] = {a: {k: list(v.values()).count(k) for k in sorted(set(v.values()))} for a, v in kinds.items()}
        notebooks = per_assignment * len(args.assignments)
        print(f"batch: {notebooks} notebooks {report['batch']}", flush=True)
        ours = run_ours(base / "batch", base / "ours", args.workers)
        report["ours_warm"] = {k: v for k, v in ours.items() if k not in ("scores", "statuses")}
        print(f"ours (warm, {args.workers} workers): {ours['wall_s']:.1f} s", flush=True)
        if args.warm_start:
            os.environ["DLCOURSE_RUNTIME_DIR"] = str(base / "run")
            run_ours(base / "batch", base / "warming", args.workers, keep_warm=5, cache=str(base / "cache-kept"))
            kept = run_ours(base / "batch", base / "kept", args.workers, keep_warm=5, cache=str(base / "cache-kept"))
            report["ours_warm_start"] = {k: v for k, v in kept.items() if k not in ("scores", "statuses")}
            from autograder.flows.keepwarm import stop_daemon

            stop_daemon()
            print(f"ours (warm start, {args.workers} workers): {kept['wall_s']:.1f} s", flush=True)
        if args.one_worker:
            one = run_ours(base / "batch", base / "one", 1)
            report["ours_one_worker"] = {k: v for k, v in one.items() if k not in ("scores", "statuses")}
            report["local_scaling_efficiency"] = one["wall_s"] / (args.workers * ours["wall_s"])
            if one["steady_per_s"] and ours["steady_per_s"]:  # once every worker is up
                report["local_steady_scaling_efficiency"] = ours["steady_per_s"] / (args.workers * one["steady_per_s"])
            print(f"ours (warm, 1 worker): {one['wall_s']:.1f} s", flush=True)
        if args.cold:
            cold = run_ours(base / "batch", base / "cold", args.workers, warm=False)
            report["ours_cold"] = {k: v for k, v in cold.items() if k not in ("scores", "statuses")}
            print(f"ours (cold): {cold['wall_s']:.1f} s", flush=True)
        if not args.skip_nbgrader:
            stock = run_stock(base / "batch", args.assignments, base / "stock")
            report["nbgrader"] = {k: v for k, v in stock.items() if k != "scores"}
            report["agreement"] = agreement(stock, ours)
            report["speedup"] = stock["wall_s"] / ours["wall_s"]
            if "ours_warm_start" in report:
                report["speedup_warm_start"] = stock["wall_s"] / report["ours_warm_start"]["wall_s"]
            report["overhead_per_notebook_s"] = {"nbgrader": per_notebook_overhead(stock, 1),
                                                 "ours_warm": per_notebook_overhead(ours, args.workers)}
            print(f"nbgrader: {stock['wall_s']:.1f} s; speed-up {report['speedup']:.2f}x; "
                  f"agreement {report['agreement']['cells_equal']}/{report['agreement']['cells_compared']}", flush=True)
        if args.dask:
            report["dask"] = {}
            for count in (1, 2):
                folder = base / f"dask{count}"
                folder.mkdir()
                address, processes = start_dask(folder, count)
                try:
                    run = run_ours(base / "batch", base / f"dask-out{count}", count, dask=address)
                finally:
                    stop(processes)
                report["dask"][count] = {"wall_s": run["wall_s"], "agree_with_local": run["scores"] == ours["scores"],
                                         "first_result_s": run["first_result_s"], "steady_per_s": run["steady_per_s"]}
                print(f"dask {count} worker(s): {run['wall_s']:.1f} s", flush=True)
            one, two = report["dask"][1]["wall_s"], report["dask"][2]["wall_s"]
            report["dask_scaling_efficiency"] = one / (2 * two)
            steady = [report["dask"][c]["steady_per_s"] for c in (1, 2)]
            if all(steady):
                report["dask_steady_scaling_efficiency"] = steady[1] / (2 * steady[0])
    report["load_average_at_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(report, indent=1))
    (RESULTS / f"{args.name}.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def markdown(report: dict) -> str:
    ours = report["ours_warm"]
    lines = [f"# Grading throughput ({report['date']}, {report['cpus']} CPUs, {report['machine']})", "",
             f"Batch: {report['per_assignment']} submissions × {len(report['assignments'])} assignment(s) "
             f"({', '.join(report['assignments'])}); kinds per assignment: {report['batch']}.", "",
             "| run | wall time | notebooks executed | per-notebook overhead | peak memory per worker |",
             "|---|---|---|---|---|"]
    if "nbgrader" in report:
        stock = report["nbgrader"]
        lines.append(f"| stock `nbgrader autograde` + `generate_feedback` (serial) | {stock['wall_s']:.1f} s "
                     f"(autograde alone {stock['autograde_wall_s']:.1f} s) | {stock['graded']} | "
                     f"{report['overhead_per_notebook_s']['nbgrader']:.2f} s | — |")
    overhead = report.get("overhead_per_notebook_s", {}).get("ours_warm")
    median_unit = ours["unit_overhead_s"][len(ours["unit_overhead_s"]) // 2] if ours["unit_overhead_s"] else 0
    lines.append(f"| `grade` warm, {report['workers']} workers | {ours['wall_s']:.1f} s | {ours['graded']} | "
                 f"{'—' if overhead is None else f'{overhead:.2f} s'} (median unit: {median_unit:.2f} s) | "
                 f"{max(ours['peak_pss_mb'] or [0]):.0f} MB |")
    if "ours_warm_start" in report:
        kept = report["ours_warm_start"]
        lines.append(f"| `grade` again within minutes ({report['workers']} workers kept warm, templates cached) | "
                     f"{kept['wall_s']:.1f} s | {kept['graded']} | — | — (the daemon's) |")
    if "ours_cold" in report:
        cold = report["ours_cold"]
        lines.append(f"| `grade --cold`, {report['workers']} workers | {cold['wall_s']:.1f} s | {cold['graded']} | "
                     f"— | {max(cold['peak_pss_mb'] or [0]):.0f} MB |")
    for count, run in report.get("dask", {}).items():
        lines.append(f"| `grade --dask` (local cluster, {count} worker(s)) | {run['wall_s']:.1f} s | — | — | — |")
    lines.append("")
    if "speedup" in report:
        agreement = report["agreement"]
        lines += [f"**Speed-up over stock nbgrader: {report['speedup']:.2f}×.** Per-cell scores agree on "
                  f"{agreement['cells_equal']} of {agreement['cells_compared']} cells graded by both"
                  + (": " + "; ".join(agreement["mismatches"][:10]) if agreement["mismatches"] else ".")
                  + f" Not compared: {agreement['crash_cells_kept_by_us']} cells of notebooks whose kernel died, "
                    "which stock nbgrader scores 0 and this grader keeps up to the crash.",
                  (f"Speed-up of a run within minutes of another (warm workers kept, templates cached): "
                   f"{report['speedup_warm_start']:.2f}×. " if "speedup_warm_start" in report else "")
                  + f"Speed-up over `nbgrader autograde` alone (no feedback pages): "
                  f"{report['nbgrader']['autograde_wall_s'] / ours['wall_s']:.2f}×.", ""]
    if "dask_scaling_efficiency" in report:
        lines += [f"Dask scaling efficiency 1 → 2 workers: {report['dask_scaling_efficiency']:.0%}"
                  + (f"; once the workers are up (results per second): "
                     f"{report['dask_steady_scaling_efficiency']:.0%}" if "dask_steady_scaling_efficiency" in report
                     else "") + ".", ""]
    if "local_scaling_efficiency" in report:
        one = report["ours_one_worker"]
        lines += [f"Local scaling 1 → {report['workers']} workers: {one['wall_s']:.1f} s → "
                  f"{ours['wall_s']:.1f} s, efficiency {report['local_scaling_efficiency']:.0%}"
                  + (f"; start-up (templates built, workers importing torch) until the first result "
                     f"{one['first_result_s']:.1f} s and {ours['first_result_s']:.1f} s, then "
                     f"{one['steady_per_s']:.2f} and {ours['steady_per_s']:.2f} notebooks per second: "
                     f"efficiency once the workers are up {report['local_steady_scaling_efficiency']:.0%}"
                     if "local_steady_scaling_efficiency" in report else "") + ".", ""]
    lines += where_time_goes(report)
    lines += ["Overhead per notebook = wall time × workers / notebooks executed − mean time the kernel spent "
              "in cells; memory = peak PSS of one worker's process tree (worker, sandbox, zygote, kernel). "
              f"Load average (1, 5, 15 min) at start {_load(report, 'start')}, at end {_load(report, 'end')} "
              "(the machine is shared).", ""]
    return "\n".join(lines)


def _load(report: dict, when: str) -> str:
    values = report.get(f"load_average_at_{when}")
    return ", ".join(f"{v:.1f}" for v in values) if values else "not recorded"


#: the work a grade depends on: the student's cells, the test cells and the checks the grader evaluates
NEEDED = ("cells_solution", "cells_test", "cells_other", "checks_grader")
#: a unit's laps in the worker, from its request to its result (timing.Clock): the unit's whole time there
UNIT_LAPS = ("prepare", "nbgrader_before", "kernel_start", "cells", "kernel_stop", "nbgrader_after", "scoring",
             "feedback")
PHASES = [("cells_solution", "answer cells (the student's code)"), ("cells_test", "test cells (the kernel's part)"),
          ("checks_grader", "checks evaluated by the grader (calls into the student's code included)"),
          ("cells_other", "other cells that ran (imports, self-check)"), ("cells_skipped", "skipped cells"),
          ("cells_grader", "grader's cells (seed, ledger, re-seeding)"), ("kernel_start", "kernel start"),
          ("kernel_stop", "kernel stop"), ("nbgrader_before", "nbgrader bookkeeping before execution"),
          ("nbgrader_after", "nbgrader bookkeeping after execution"), ("prepare", "preparing the unit"),
          ("scoring", "scoring"), ("feedback", "feedback page")]


def where_time_goes(report: dict) -> list[str]:
    """Mean seconds per graded notebook, by phase, for this grader and for stock nbgrader."""
    ours = report["ours_warm"]
    phases = ours.get("phases") or {}
    if not phases:
        return []
    stock = report.get("nbgrader", {}).get("cells_by_kind", {})
    stock_row = {"cells_solution": stock.get("cells_solution"), "cells_test": stock.get("cells_test"),
                 "cells_other": stock.get("cells_other")}
    lines = ["**Where a notebook's time goes** (mean seconds per executed notebook; this grader's unit "
             "phases, autograder/engine/timing.py; stock nbgrader's kernel time by kind of cell):", "",
             "| phase | this grader | stock nbgrader |", "|---|---|---|"]
    for key, label in PHASES:
        theirs = stock_row.get(key)
        lines.append(f"| {label} | {phases.get(key, 0):.3f} | {'' if theirs is None else f'{theirs:.3f}'} |")
    if stock:
        lines.append(f"| demo cells (tagged skip-when-grading) | 0 (skipped: {phases.get('skipped', 0):.1f} "
                     f"cells per notebook) | {stock.get('cells_demos', 0):.3f} |")
    beyond = ours.get("beyond_needed_cells_s") or []
    if beyond:
        lines += ["", f"Per-notebook overhead beyond the cells the grade depends on (unit wall time − answer, "
                      f"test and other cells that ran − checks evaluated by the grader): median "
                      f"{beyond[len(beyond) // 2]:.2f} s, mean {sum(beyond) / len(beyond):.2f} s of worker time "
                      "(a worker's first unit includes waiting for the worker to start)."]
    in_worker = ours.get("beyond_needed_in_worker_s") or []
    if in_worker:
        lines += [f"The same, timed in the worker from request to result (the unit's laps, without the wait for "
                  f"a worker's start): median {in_worker[len(in_worker) // 2]:.2f} s, mean "
                  f"{sum(in_worker) / len(in_worker):.2f} s, 90th percentile "
                  f"{in_worker[int(len(in_worker) * 0.9)]:.2f} s."]
    return lines + [""]


if __name__ == "__main__":
    raise SystemExit(main())
