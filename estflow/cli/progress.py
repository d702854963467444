"""Progress of train, evaluate and predict: a tqdm bar on a terminal, plain log lines elsewhere.

`ProgressHook` is a SessionRunHook: each step it fetches the global step and the loss the
Estimator trains (the tensor its "loss" scalar summary reads), and shows the running loss,
speed and ETA. Without a terminal (a pipe, a CI log) it writes a line at most every tenth
of the run and every second, and always the last one, so logs stay readable.
"""

from __future__ import annotations

import math
import re
import shutil
import sys
import time

from tqdm import tqdm

from estflow.core.graph import GraphKeys, get_default_graph
from estflow.hooks.session_run_hook import SessionRunArgs, SessionRunHook
from estflow.training import training_util

_LINE_SECONDS = 1.0  # without a terminal: at most a line a second (and the last one)


def interactive(stream=None) -> bool:
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


def _loss_tensor(graph):
    """The tensor the Estimator's "loss" scalar summary reads (None if there is none)."""
    found = None
    for op in graph.get_collection(GraphKeys.SUMMARIES):
        op = getattr(op, "op", op)
        if op.type == "ScalarSummary" and re.fullmatch(r"loss(_\d+)?", op.name):
            found = op.inputs[1]
    return found


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60:d}:{seconds % 60:02d}"


class Progress:
    """Counts units of work (steps, batches, examples) toward `total` (None: unknown)."""

    def __init__(self, what: str, total: int | None, unit: str = "step", stream=None, bar: bool | None = None):
        self.what, self.total, self.unit = what, total, unit
        self.stream = stream or sys.stderr
        # a terminal that reports no size (0 x 0, some ptys) would hide the bar: fall back to 100 x 20
        size = shutil.get_terminal_size((100, 20))
        self.bar = tqdm(total=total, desc=what, unit=unit, file=self.stream, ncols=size.columns,
                        nrows=size.lines) if (interactive(self.stream) if bar is None else bar) else None
        self.count = 0
        self.first: tuple[int, float] | None = None
        self._next_line = self._line_every()
        self._last_line = -math.inf
        self.values: dict = {}

    def _line_every(self) -> int:
        return max(1, self.total // 10) if self.total else 100

    def update(self, count: int, **values) -> None:
        """Set the count to `count` and the shown values (e.g. loss=0.3)."""
        if self.first is None:  # speed is measured from the first unit done, after the graph is built
            self.first = (count, time.monotonic())
        delta, self.count = count - self.count, count
        self.values = values
        if self.bar is not None:
            if values:
                self.bar.set_postfix({k: f"{v:.4g}" for k, v in values.items()}, refresh=False)
            self.bar.update(delta)
        elif self.count >= self._next_line and (self.total is None or self.count >= self.total or (
                time.monotonic() - self._last_line >= _LINE_SECONDS)):
            self._next_line = self.count + self._line_every()
            self._last_line = time.monotonic()
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def line(self) -> str:
        first_count, first_time = self.first or (self.count, time.monotonic())
        elapsed = time.monotonic() - first_time
        rate = (self.count - first_count) / elapsed if elapsed > 0 else 0.0
        parts = [f"{self.what}: {self.unit} {self.count}" + (f"/{self.total}" if self.total else "")]
        parts += [f"{k}={v:.4g}" for k, v in self.values.items()]
        if rate > 0:
            parts.append(f"{rate:.1f} {self.unit}/s")
        if self.total and rate > 0 and self.count < self.total:
            parts.append(f"ETA {_duration((self.total - self.count) / rate)}")
        return ", ".join(parts)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class ProgressHook(SessionRunHook):
    """Shows training progress: global step toward the last step, running loss, speed and ETA."""

    def __init__(self, progress: Progress, first_step: int = 0, smoothing: float = 0.1):
        self.progress = progress
        self.first_step = first_step
        self.smoothing = smoothing
        self.running_loss = None
        self.last_step = first_step

    def begin(self) -> None:
        graph = get_default_graph()
        self._fetches = {"step": training_util.get_global_step(graph)}
        loss = _loss_tensor(graph)
        if loss is not None:
            self._fetches["loss"] = loss

    def before_run(self, run_context):
        return SessionRunArgs(self._fetches)

    def after_run(self, run_context, run_values) -> None:
        results = run_values.results
        step = int(results["step"])
        values = {}
        if "loss" in results:
            loss = float(results["loss"])
            self.running_loss = loss if self.running_loss is None else (
                (1 - self.smoothing) * self.running_loss + self.smoothing * loss)
            values["loss"] = self.running_loss
        # the step fetched is the one before this run's update
        self.last_step = step + 1
        self.progress.update(self.last_step - self.first_step, **values)


class CountHook(SessionRunHook):
    """Counts session runs (evaluation batches) into a Progress."""

    def __init__(self, progress: Progress):
        self.progress = progress

    def after_run(self, run_context, run_values) -> None:
        self.progress.update(self.progress.count + 1)
