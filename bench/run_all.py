"""Run every benchmark, each in fresh processes, and print the BENCHMARKS.md blocks.

    python bench/run_all.py                  # print every section, ready to paste
    python bench/run_all.py --write          # also replace the sections in BENCHMARKS.md and
                                             # regenerate README.md's speed summary from it
    python bench/run_all.py --processes 3    # fewer fresh processes per figure (default 5)

Run it on a quiet machine: the figures are medians over fresh processes with their range,
and the range shows how much the machine moved while they ran.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SCRIPTS = ["import_time.py", "session_overhead.py", "train_step.py", "checkpoint_io.py", "input_pipeline.py",
           "dataset_map_batch.py", "hashing_ops.py", "feature_columns.py", "hooks.py", "estimator.py",
           "sparse_apply.py",
           "saved_model.py", "canned_estimators.py", "canned_profile.py", "model_server.py", "cnn_train_step.py",
           "rnn_step.py"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=5)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("scripts", nargs="*", default=SCRIPTS, help="a subset of " + ", ".join(SCRIPTS))
    args = parser.parse_args()
    started = time.perf_counter()
    failed = []
    for name in args.scripts:
        command = [sys.executable, str(BENCH / name), "--processes", str(args.processes)]
        if args.write:
            command.append("--write")
        t0 = time.perf_counter()
        proc = subprocess.run(command, cwd=REPO)
        print(f"[{name}: {time.perf_counter() - t0:.0f} s, exit {proc.returncode}]\n", file=sys.stderr)
        if proc.returncode != 0:
            failed.append(name)
    if args.write and not failed:
        subprocess.run([sys.executable, str(REPO / "scripts" / "update_readme_speed.py")], cwd=REPO, check=True)
    print(f"[all benchmarks: {time.perf_counter() - started:.0f} s]", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
