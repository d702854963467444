"""`python -c "import estflow"` against `python -c "import numpy"`, as whole fresh processes.

    python bench/import_time.py [--processes 15] [--write]   # prints (and with --write, updates) BENCHMARKS.md

Every sample is a fresh process: `--processes` sets the number of interleaved rounds.

Bytecode is cached, as in an installed package (a first untimed run writes the caches).
The cases run in alternating rounds so machine noise hits them alike; each figure is the
median over the rounds with its range. `import estflow` loads no subpackage (PEP 562,
estflow/_lazy.py); `tf.Session` is the first real use, which loads the engine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _report  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CASES = {
    "python": "pass",
    "numpy": "import numpy",
    "estflow": "import estflow",
    "first_use": "import estflow as tf; tf.Session",
}


def measure(rounds: int = 15) -> dict[str, list[float]]:
    # PYTHONDONTWRITEBYTECODE (set in some sandboxes) would recompile every module each time.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)

    def run(code):
        subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=REPO)

    for code in CASES.values():  # writes the bytecode caches
        run(code)
    samples = {name: [] for name in CASES}
    for _ in range(rounds):
        for name, code in CASES.items():
            t0 = time.perf_counter()
            run(code)
            samples[name].append(time.perf_counter() - t0)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=15, help="interleaved rounds of fresh processes")
    parser.add_argument("--write", action="store_true", help="also replace the section in BENCHMARKS.md")
    args = parser.parse_args()
    samples = measure(max(args.processes, 3))
    med = {name: statistics.median(s) for name, s in samples.items()}
    rounds = len(samples["numpy"])

    def cell(name):
        s = samples[name]
        return f"{med[name]:.3f} ({min(s):.3f}-{max(s):.3f})"

    ratios = [e / n for e, n in zip(samples["estflow"], samples["numpy"])]
    lines = [
        f"Measured by `python bench/import_time.py` on {_report.machine()}: whole fresh processes, bytecode",
        f"cached, {rounds} interleaved rounds; median (range) in seconds. `python -c pass` is the interpreter alone.",
        "",
        "| process | seconds: median (range) | / `import numpy` |",
        "|---|---|---|",
        f"| `python -c pass` | {cell('python')} | {med['python'] / med['numpy']:.2f}x |",
        f"| `import numpy` | {cell('numpy')} | 1.00x |",
        f"| `import estflow` | {cell('estflow')} | {med['estflow'] / med['numpy']:.2f}x "
        f"(per round {min(ratios):.2f}-{max(ratios):.2f}x; target <= 1.5x) |",
        f"| `import estflow as tf; tf.Session` (first use: loads the engine) | {cell('first_use')} | "
        f"{med['first_use'] / med['numpy']:.2f}x |",
        "",
        "TensorFlow 2.15's `import tensorflow`: about 3 s on the same kind of machine.",
    ]
    body = "\n".join(lines)
    print(f"## Import time\n\n{body}\n")
    if args.write:
        _report.write_section("Import time", body)


if __name__ == "__main__":
    main()
