"""Run a benchmark in several fresh processes and report each figure as a median with its range.

A figure measured in one process depends on that process's luck: where the allocator put
its arrays, which core it ran on, what the page cache held. So every script in bench/
measures in N fresh processes (`--processes`, default 5), each process timing estflow and
its plain-numpy baseline side by side (interleaved rounds, same process), and reports the
median over processes with the range (lowest-highest) beside it. Ratios are taken within
each process first, then summarized, so a slow process slows both sides of its ratio.

A script uses it like this:

    def measure(args) -> dict:          # one process's figures, e.g. {"ours_us": 4.9, "numpy_us": 0.97}
        ...

    def report(runs: list[dict], args) -> str:   # the BENCHMARKS.md section body
        ...

    if __name__ == "__main__":
        _harness.main(__file__, "Section title", measure, report)

`python bench/x.py` prints a ready-to-paste BENCHMARKS.md block; `--write` also replaces
the section in BENCHMARKS.md; `--processes N` sets N; `--worker` (used by the harness
itself) runs `measure` once in this process and prints its figures as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _report  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PROCESSES = 5


def parse_args(argv=None, extra=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=DEFAULT_PROCESSES,
                        help="fresh processes to measure in (default %(default)s)")
    parser.add_argument("--write", action="store_true", help="also replace the section in BENCHMARKS.md")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    if extra is not None:
        extra(parser)
    return parser.parse_args(argv)


def fresh_runs(script: str, processes: int, argv: list[str]) -> list[dict]:
    """Run `script --worker argv...` in `processes` fresh interpreters, one after another."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    runs = []
    for i in range(processes):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, script, "--worker", *argv], capture_output=True, text=True, env=env,
                              cwd=REPO)
        if proc.returncode != 0:
            raise RuntimeError(f"{Path(script).name} worker failed (exit {proc.returncode}):\n{proc.stderr}")
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(f"{Path(script).name} worker printed no JSON figures:\n{proc.stdout}{proc.stderr}")
        runs.append(json.loads(lines[-1]))
        print(f"  process {i + 1}/{processes}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return runs


def spread(values) -> tuple[float, float, float]:
    """(median, lowest, highest) of per-process values."""
    values = [float(v) for v in values]
    return statistics.median(values), min(values), max(values)


def figure(runs: list[dict], key, fmt: str = "{:.2f}", unit: str = "") -> str:
    """`median (low-high)` of one figure over the runs; `key` is a name or a function of one run."""
    values = [key(r) if callable(key) else r[key] for r in runs]
    med, lo, hi = spread(values)
    return f"{fmt.format(med)}{unit} ({fmt.format(lo)}-{fmt.format(hi)}{unit})"


def ratio(runs: list[dict], num, den, fmt: str = "{:.2f}") -> str:
    """`median (low-high)x` of num/den taken within each process."""
    return figure(runs, lambda r: r[num] / r[den], fmt, "x")


def versus_numpy_rows(runs: list[dict], names: dict, batches) -> list[str]:
    """Table rows `| name | batch | estflow | numpy | estflow / numpy |` for keys `{key}_{batch}` (estflow)
    and `{key}_np_{batch}` (the numpy baseline), in microseconds."""
    return [f"| {name} | {n} | {figure(runs, f'{key}_{n}', '{:,.1f}')} | {figure(runs, f'{key}_np_{n}', '{:,.1f}')} "
            f"| {ratio(runs, f'{key}_{n}', f'{key}_np_{n}')} |" for key, name in names.items() for n in batches]


def machine() -> str:
    return _report.machine()


def main(script: str, title: str, measure, report, extra_args=None) -> None:
    """The whole command line of a benchmark script (see the module docstring)."""
    args = parse_args(extra=extra_args)
    if args.worker:
        print(json.dumps(measure(args)))
        return
    forwarded = [a for a in sys.argv[1:] if a not in ("--write",)]
    forwarded = _drop_option(forwarded, "--processes")
    print(f"{Path(script).name}: {args.processes} fresh processes", file=sys.stderr)
    runs = fresh_runs(script, args.processes, forwarded)
    body = report(runs, args)
    print(f"## {title}\n\n{body.strip()}\n")
    if args.write:
        _report.write_section(title, body)


def _drop_option(argv: list[str], name: str) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == name:
            skip = True
            continue
        if a.startswith(name + "="):
            continue
        out.append(a)
    return out
