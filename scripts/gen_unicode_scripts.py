"""Write estflow/core/unicode_scripts.py: the ICU script code of every Unicode code point, as TF reports it.

Run under real TensorFlow (its ICU is the reference `tf.strings.unicode_script` answers from):

    /tmp/tfvenv/bin/python scripts/gen_unicode_scripts.py

The table holds the code points where the script code changes (about 1,600 runs).
"""

from pathlib import Path

import numpy as np
import tensorflow as tf

OUT = Path(__file__).resolve().parents[1] / "estflow" / "core" / "unicode_scripts.py"


def main() -> None:
    codes = tf.strings.unicode_script(np.arange(0x110000, dtype=np.int32)).numpy()
    starts = np.flatnonzero(np.diff(codes, prepend=-1))
    pairs = [f"{int(s):x}:{int(codes[s])}" for s in starts]
    lines = [" ".join(pairs[i:i + 10]) for i in range(0, len(pairs), 10)]
    body = "\n".join(f'    "{line} "' for line in lines)
    OUT.write_text(
        '"""ICU script codes (UScriptCode) of the Unicode code points, as TF 2.15\'s ICU gives them.\n\n'
        "Written by scripts/gen_unicode_scripts.py from real TensorFlow: `RUNS` is one string of\n"
        "'first code point (hex):script code' pairs, one for each run of code points sharing a script.\n"
        '"""\n\n'
        f"RUNS = (\n{body}\n)\n")


if __name__ == "__main__":
    main()
