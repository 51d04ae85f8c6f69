"""Time every source notebook end to end in a fresh kernel (the budget: 20 s each on 2 cores).

    python benchmarks/notebook_runtime.py [--repeat 3]

Writes benchmarks/results/notebook_runtime.{json,md}. Kernel start-up is included, since a
student pays it too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 20.0


def time_notebook(path: Path, lang: str = "en") -> float:
    """Seconds to run the notebook at `path` top to bottom; `lang` "zh": its Chinese edition (an
    assignment's with the solutions: its source notebook, translated)."""
    nb = nbformat.read(path, as_version=4)
    if lang != "en":
        from autograder.flows.translate import read_blocks, translate_notebook, translation_path

        nb = translate_notebook(nb, read_blocks(translation_path(ROOT, path, lang)), lang)
    started = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute(stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--languages", nargs="+", default=["en", "zh"], help="editions to time (default: en zh)")
    args = parser.parse_args()
    rows = []
    paths = sorted((ROOT / "source").glob("*/*.ipynb")) + sorted((ROOT / "notebooks").glob("*.ipynb"))
    for lang, path in [(lang, path) for lang in args.languages for path in paths]:
        times = [time_notebook(path, lang) for _ in range(args.repeat)]
        label = str(path.relative_to(ROOT)) + ("" if lang == "en" else f" ({lang} edition)")
        rows.append({"notebook": label, "median_s": round(statistics.median(times), 2),
                     "max_s": round(max(times), 2), "runs": len(times)})
        print(f"{rows[-1]['notebook']}: median {rows[-1]['median_s']} s, max {rows[-1]['max_s']} s",
              file=sys.stderr)
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "notebook_runtime.json").write_text(json.dumps({"machine": machine, "budget_s": BUDGET_S,
                                                           "notebooks": rows}, indent=1))
    lines = ["| notebook | median (s) | max (s) | within 20 s |", "|---|---|---|---|"]
    lines += [f"| {r['notebook']} | {r['median_s']} | {r['max_s']} | {'yes' if r['max_s'] <= BUDGET_S else 'NO'} |"
              for r in rows]
    (out / "notebook_runtime.md").write_text(
        f"Machine: {machine['cpus']} CPUs, Python {machine['python']}\n\n" + "\n".join(lines) + "\n")
    return 0 if all(r["max_s"] <= BUDGET_S for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
