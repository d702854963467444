"""Regenerate the README's speed summary from BENCHMARKS.md, so the two never disagree.

    python scripts/update_readme_speed.py            # rewrite the summary in README.md
    python scripts/update_readme_speed.py --check    # exit 1 if README.md's summary is stale

The summary sits between the marker comments `<!-- speed-summary:start -->` and
`<!-- speed-summary:end -->` in README.md's "## Speed" section. Every figure in it is read
from a table of BENCHMARKS.md (a cell's median, and its range when the cell has one); a
TensorFlow figure is quoted only where BENCHMARKS.md sets one beside the same workload.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- speed-summary:start -->", "<!-- speed-summary:end -->"
# A cell's leading figure and its optional range: "4.90", "5.0x", "1,239", "472k", "0.31 s",
# "4.90 (4.71-5.32)", "2.59x (2.55-2.92x)", "472k (455k-490k)".
_NUMBER = r"[\d.,]+(?:k|x| s)?"
_FIGURE = re.compile(rf"^\s*(?P<median>{_NUMBER})(?:\s*\((?P<low>{_NUMBER})-(?P<high>{_NUMBER})\))?")


def sections(text: str) -> dict[str, str]:
    """BENCHMARKS.md's `## title` sections by title."""
    out = {}
    for match in re.finditer(r"^## (.+?)\n(.*?)(?=^## |\Z)", text, re.S | re.M):
        out[match.group(1).strip()] = match.group(2)
    return out


def table(section: str) -> list[dict[str, str]]:
    """The first markdown table of a section, as one dict per row keyed by the header cells."""
    rows = [line for line in section.splitlines() if line.startswith("|")]
    if len(rows) < 3:
        raise ValueError("no table in section")
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in row.strip("|").split("|")), strict=False)) for row in rows[2:]]


def column(row: dict[str, str], prefix: str) -> str:
    """The cell of the first column whose header starts with `prefix`."""
    for name, value in row.items():
        if name.startswith(prefix):
            return value
    raise KeyError(f"no column starting with {prefix!r} in {list(row)}")


def row(rows: list[dict[str, str]], first_cell: str, **match) -> dict[str, str]:
    """The row whose first cell starts with `first_cell` (and whose other cells equal `match`)."""
    for r in rows:
        if next(iter(r.values())).startswith(first_cell) and all(r.get(k) == v for k, v in match.items()):
            return r
    raise KeyError(f"no row {first_cell!r} {match}")


def say(cell: str, unit: str = "") -> str:
    """A cell's figure as prose: `2.59x` or, when the cell gives a range, `2.59x (2.55-2.92x)`."""
    m = _FIGURE.match(cell)
    if m is None:
        raise ValueError(f"no figure in cell {cell!r}")
    if m.group("low") is None:
        return m.group("median") + unit
    return f"{m.group('median')}{unit} ({m.group('low')}-{m.group('high')}{unit})"


def summary(benchmarks: str) -> str:
    """The README's speed summary paragraph, from the text of BENCHMARKS.md."""
    s = sections(benchmarks)
    overhead = table(s["Session.run overhead"])
    add = row(overhead, "(b)")
    chain = row(overhead, "(c)")
    mixed = row(overhead, "(c2)")
    beside_cond = row(overhead, "(e)")
    imports = table(s["Import time"])
    ours_import, numpy_import = row(imports, "`import estflow`"), row(imports, "`import numpy`")
    train = table(s["Training step (MLP)"])
    ratio_col = "numpy / estflow"
    sgd32, sgd1024 = row(train, "GradientDescent", batch="32"), row(train, "GradientDescent", batch="1024")
    adam32, adam1024 = row(train, "Adam", batch="32"), row(train, "Adam", batch="1024")
    ckpt = table(s["Checkpoint save and restore"])
    save, restore = row(ckpt, "save"), row(ckpt, "restore")
    pipes = table(s["Input pipelines"])
    csv = row(pipes, "(a) TextLineDataset -> batch(256) -> map(decode_csv)")
    parts = [
        f"`Session.run` of `a + b` costs {say(column(add, 'estflow'), ' us')} "
        f"(TensorFlow 2.15 on the same graph: {column(add, 'TF 2.15')} us)",
        f"ten elementwise ops on a `[128]` vector cost {say(column(chain, 'estflow / numpy'))} the ten numpy calls "
        f"made directly ({say(column(mixed, 'estflow / numpy'))} when tanh, exp and sigmoid are among them, and "
        f"{say(column(beside_cond, 'estflow / numpy'))} of the chain plus the cond's own ops when an unrelated "
        "`tf.cond` is fetched beside them)",
        f"a training step of a small MLP costs {say(column(sgd32, ratio_col))} (batch 32) and "
        f"{say(column(sgd1024, ratio_col))} (batch 1024) the time of a hand-written numpy step with "
        f"GradientDescent, {say(column(adam32, ratio_col))} and {say(column(adam1024, ratio_col))} with Adam "
        f"(TensorFlow 2.15's graph mode, same model: {column(sgd32, 'TF 2.15: numpy')} and "
        f"{column(sgd1024, 'TF 2.15: numpy')}, {column(adam32, 'TF 2.15: numpy')} and "
        f"{column(adam1024, 'TF 2.15: numpy')})",
        f"saving a 100 MB checkpoint takes {say(column(save, 'estflow / numpy'))} and restoring it "
        f"{say(column(restore, 'estflow / numpy'))} the time of `numpy.save` / `numpy.load` of the same arrays",
        "a CSV input pipeline (`TextLineDataset` -> `batch` -> `decode_csv`) reads "
        f"{say(column(csv, 'estflow rows/s'), ' rows/s')}, {say(column(csv, 'estflow / baseline'))} the speed of "
        "`pd.read_csv`",
    ]
    columns = table(s["Feature columns"])
    parts.append("`input_layer` + `linear_model` over the census tutorial's feature columns cost "
                 f"{say(column(row(columns, '40'), 'estflow / numpy'))} (batch 40) and "
                 f"{say(column(row(columns, '1024'), 'estflow / numpy'))} (batch 1024) the time of plain numpy "
                 "doing the same transforms")
    parts.append(f"`import estflow` takes {say(column(ours_import, 'seconds'), ' s')} "
                 f"(`import numpy`: {say(column(numpy_import, 'seconds'), ' s')}; the engine loads on first use)")
    text = ("`BENCHMARKS.md` has the figures and the commands that produced them (`bench/`; "
            "`python bench/run_all.py` reruns them all); where a cell gives a range, it is the median over fresh "
            "processes with the lowest-highest in brackets. In short: " + ", ".join(parts[:-1]) + ", and "
            + parts[-1] + ".")
    return _wrap(text)


def _wrap(text: str, width: int = 100) -> str:
    lines, line = [], ""
    for word in re.findall(r"(?:`[^`]*`|\S)+", text):  # never break inside a `code span`
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def render(readme: str, benchmarks: str) -> str:
    """README.md's text with the summary between the markers regenerated."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md lacks the {START} ... {END} markers")
    return readme[:start + len(START)] + "\n" + summary(benchmarks) + "\n" + readme[end:]


def main(argv: list[str]) -> int:
    readme_path, benchmarks_path = ROOT / "README.md", ROOT / "BENCHMARKS.md"
    readme = readme_path.read_text()
    new = render(readme, benchmarks_path.read_text())
    if "--check" in argv:
        if new != readme:
            print("README.md's speed summary differs from BENCHMARKS.md: run python scripts/update_readme_speed.py")
            return 1
        return 0
    if new != readme:
        readme_path.write_text(new)
        print("README.md: speed summary updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
