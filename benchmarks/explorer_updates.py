"""Time one update of each companion explorer (a slider move: compute, draw, PNG) and summary().

    python benchmarks/explorer_updates.py [--repeat 7]

Writes benchmarks/results/explorer_updates.{json,md}: the median CPU and wall time of one call,
after a warm-up call that fills the explorer's caches as the notebook does when it opens. The
budgets are what keeps a slider responsive (0.5 s) and the summary cell free (0.01 s); the tests
assert what makes an update cheap (caches reused, no training, no file I/O), never its time.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UPDATE_BUDGET_S = 0.5
SUMMARY_BUDGET_S = 0.01
SUMMARY_CALLS = 100  # summary() takes microseconds: time batches of calls


class _Output:
    """Stands in for ipywidgets.Output: show_figure only sets `outputs`."""
    outputs: tuple = ()


def _updates() -> dict:
    """name -> (warm-up, one update), the same updates the explorer tests exercise."""
    from dlcourse.explorers import dropout, fitting, remedies, stability, weight_decay
    from dlcourse.explorers.render import show_figure

    def stability_update():  # a setting not seen before: its profile is computed
        stability._profile.cache_clear()
        show_figure(_Output(), stability.draw_profile(30, "tanh", "Kaiming"))

    def remedies_update():
        view = remedies.explorer_view(True, "Adam", "ReLU", 12, remedies.run_grid())
        show_figure(_Output(), remedies.draw_view(view))

    return {
        "01 fitting (degree 9, N = 20)": (
            None, lambda: show_figure(_Output(), fitting.draw(9, 20, seed=1))),
        "02 weight decay (λ = 0.1, N = 80)": (
            None, lambda: show_figure(_Output(), weight_decay.draw(0.1, 80, seed=1))),
        "03 dropout (p = 0.4)": (
            dropout.gap_vs_p, lambda: show_figure(_Output(), dropout.draw_dropout(0.4))),
        "04 stability (30 layers, uncached)": (None, stability_update),
        "05 remedies (Adam + ReLU + batch norm)": (remedies.run_grid, remedies_update),
    }


def _summary_call():
    """summary("01_fitting") after three suites have run, SUMMARY_CALLS times, output discarded."""
    from dlcourse.checks._core import run_suite
    from dlcourse.checks.selfcheck import summary

    with contextlib.redirect_stdout(io.StringIO()):  # each suite prints its ✅ line
        for name in ("poly_features", "mse", "fit_sgd"):
            run_suite(name, [lambda: None])

    def calls():
        with contextlib.redirect_stdout(io.StringIO()):
            for _ in range(SUMMARY_CALLS):
                summary("01_fitting")
    return calls


def measure(function, repeat: int, calls: int = 1) -> dict:
    """Median and max CPU and wall seconds of one call, after one warm-up run of `function`."""
    function()
    cpu, wall = [], []
    for _ in range(repeat):
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        function()
        cpu.append((time.process_time() - cpu_start) / calls)
        wall.append((time.perf_counter() - wall_start) / calls)
    return {"cpu_median_s": statistics.median(cpu), "wall_median_s": statistics.median(wall),
            "wall_max_s": max(wall), "runs": repeat}


def _machine() -> dict:
    import torch

    return {"cpus": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(), "platform": platform.platform(),
            "load_average_1min": round(os.getloadavg()[0], 2)}


def _markdown(machine: dict, date: str, rows: list[dict]) -> str:
    lines = [f"Machine: {machine['cpus']} CPUs, Python {machine['python']}, torch {machine['torch']} "
             f"({machine['torch_threads']} threads), load average {machine['load_average_1min']} "
             f"at the start; {date}.", "",
             "| what | CPU median (ms) | wall median (ms) | wall max (ms) | budget (ms) | within |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['what']} | {r['cpu_median_s'] * 1e3:.2f} | {r['wall_median_s'] * 1e3:.2f} "
                     f"| {r['wall_max_s'] * 1e3:.2f} | {r['budget_s'] * 1e3:g} | "
                     f"{'yes' if r['cpu_median_s'] <= r['budget_s'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ.pop("NBGRADER_EXECUTION", None)
    machine, date = _machine(), datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    rows = []
    for what, (warm_up, update) in _updates().items():
        if warm_up is not None:
            warm_up()
        rows.append({"what": f"explorer {what}", "budget_s": UPDATE_BUDGET_S, **measure(update, args.repeat)})
        print(f"{what}: CPU {rows[-1]['cpu_median_s']:.3f} s, wall {rows[-1]['wall_median_s']:.3f} s",
              file=sys.stderr)
    rows.append({"what": 'selfcheck summary("01_fitting")', "budget_s": SUMMARY_BUDGET_S,
                 **measure(_summary_call(), args.repeat, calls=SUMMARY_CALLS)})
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "explorer_updates.json").write_text(json.dumps(
        {"machine": machine, "date": date, "updates": rows}, indent=1, ensure_ascii=False) + "\n")
    (out / "explorer_updates.md").write_text(_markdown(machine, date, rows))
    print(f"wrote {out / 'explorer_updates.md'}", file=sys.stderr)
    return 0 if all(r["cpu_median_s"] <= r["budget_s"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
