"""csv_parsing's column-at-a-time fast path against its record-by-record reference (same arrays, same errors)."""

import json
import random

import numpy as np
import pytest

import estflow as tf
from estflow.core import csv_parsing, dtypes, errors
from estflow.io import decode_csv
from tests.interop import run_tensorflow

INT32_MAX, INT64_MAX = 2**31 - 1, 2**63 - 1
# fields chosen to hit every branch: plain digits (the bulk integer parse), leading zeros, values at and past
# each type's range, signs, spaces, separators, floats, words, quotes, empty fields and the NA marker
_NUMBERS = ["0", "7", "0042", "77516", "123456789", str(INT32_MAX), str(INT32_MAX + 1), str(INT64_MAX),
            str(INT64_MAX + 1), "99999999999999999999999", "-3", "+5", " 12", "12 ", "1_000", "1.5", "2e3", "x",
            "nan", "-inf", "1.", ".5", "INF", "-NaN", "infinity", "nan(1)", "+-5", "0x10", "-0X1f", "0x1.8p1", "5.e2"]
_WORDS = ["abc", "x y", " z", "Self-emp", "?", "NA", "1", '"q"', '"a,b"', '"say ""hi"""', 'a"b']


def _field(rng, kind, mode, may_be_missing=True, na="", missing_rate=0.08):
    """One field of a column of `kind`. Modes: "plain" (what the column-at-a-time path takes), "numbers" (a
    plain layout with any number text, which the bulk conversions must hand back) and "chaos" (anything)."""
    if (mode == "chaos" or may_be_missing) and rng.random() < missing_rate:
        return rng.choice(["", "NA"] if mode == "chaos" else ["", na or ""])
    if kind in ("int", "int64"):
        if mode == "plain" or rng.random() < 0.85:
            return str(rng.choice([rng.randint(0, 99999), rng.randint(0, 9), rng.randint(0, INT32_MAX)]))
        return rng.choice(_NUMBERS)
    if kind in ("float", "double"):
        plain = [f"{rng.uniform(-9, 9):.3f}", str(rng.randint(0, 50))]
        return rng.choice(plain if mode == "plain" else plain + _NUMBERS)
    return rng.choice(_WORDS if mode == "chaos" else _WORDS[:5])


def _outcome(fn, *args):
    try:
        return fn(*args)
    except errors.InvalidArgumentError as e:
        return e.message


def _assert_same(fast, exact):
    if isinstance(exact, str):
        assert fast == exact
        return
    assert not isinstance(fast, str), fast
    assert len(fast) == len(exact)
    for f, e in zip(fast, exact):
        assert f.dtype == e.dtype and f.shape == e.shape
        if f.dtype == object:
            assert f.tolist() == e.tolist() and all(type(a) is type(b) for a, b in zip(f.tolist(), e.tolist()))
        else:
            np.testing.assert_array_equal(f, e)


_KINDS = {"int": (dtypes.int32, -1), "int64": (dtypes.int64, -2), "float": (dtypes.float32, -1.5),
          "double": (dtypes.float64, 0.25), "string": (dtypes.string, b"?")}


@pytest.mark.parametrize("rows", [1, 5, 40, 63, 64, 256, 300])
@pytest.mark.parametrize("mode", ["plain", "numbers", "chaos"])
def test_fast_path_matches_record_by_record_parsing(rows, mode):
    rng = random.Random(f"{rows}-{mode}")
    for _ in range(12):
        kinds = [rng.choice(list(_KINDS)) for _ in range(rng.randint(1, 7))]
        ncols = len(kinds)
        select = ()
        if rng.random() < 0.3:  # select_cols: only some of the record's fields are outputs
            extra = rng.randint(1, 3)
            select = tuple(sorted(rng.sample(range(ncols + extra), ncols)))
        na = rng.choice(["", "NA"])
        fmt = csv_parsing.CsvFormat(rng.choice([",", ";", "|"]), rng.random() < 0.8, na, select)
        types = [_KINDS[k][0] for k in kinds]
        defaults = [None if rng.random() < 0.15 else _KINDS[k][1] for k in kinds]  # None: a required column
        width = ncols + (select[-1] + 1 - ncols if select else 0)
        at = dict(zip(select or range(ncols), zip(kinds, defaults)))
        lines, missing_rate = [], rng.choice([0, 0, 0.005, 0.08])
        for _ in range(rows):
            # plain blocks: fields the column-at-a-time path takes (empty only where a default fills it)
            fields = [_field(rng, at.get(i, ("string", b""))[0], mode, at.get(i, (0, b""))[1] is not None, na,
                             missing_rate)
                      for i in range(width)]
            if mode == "chaos" and rng.random() < 0.03:  # a record one field short or long
                fields = fields[:-1] if rng.random() < 0.5 else fields + ["9"]
            lines.append(fmt.delim.decode().join(fields).encode())
        if mode == "chaos" and rng.random() < 0.2:
            lines[rng.randrange(rows)] = rng.choice([b"", b'"open', b"a\rb"])
        exact = _outcome(csv_parsing.decode_csv_exact, lines, defaults, types, fmt)
        fast = _outcome(csv_parsing.decode_csv_lines, lines, defaults, types, fmt)
        _assert_same(fast, exact)


def test_misaligned_records_with_the_right_total_field_count_take_the_exact_path():
    # record 1 has one field too many and record 2 one too few: the block's total is right, its rows are not
    for rows in (3, 64, 200):
        lines = [b"5,6", b"1,2,3", b"4"] + [b"5,6"] * (rows - 3)
        fmt = csv_parsing.CsvFormat()
        assert csv_parsing.split_plain(lines, 2, fmt)[0] is None
        with pytest.raises(errors.InvalidArgumentError, match="Expect 2 fields but have 3 in record 1"):
            csv_parsing.decode_csv_lines(lines, [0, 0], [dtypes.int32, dtypes.int32], fmt)


@pytest.mark.parametrize("rows", [3, 100])
def test_empty_fields_anywhere_in_the_block_are_found(rows):
    fmt = csv_parsing.CsvFormat()
    for empty_at in ("start", "middle", "end"):
        lines = [b"1,a,2"] * rows
        lines[rows // 2] = {"start": b",a,2", "middle": b"1,,2", "end": b"1,a,"}[empty_at]
        columns, _, empty = csv_parsing.split_plain(lines, 3, fmt)
        assert empty is True and columns is not None
        out = csv_parsing.decode_csv_lines(lines, [-1, b"?", -2], [dtypes.int32, dtypes.string, dtypes.int32], fmt)
        exact = csv_parsing.decode_csv_exact(lines, [-1, b"?", -2], [dtypes.int32, dtypes.string, dtypes.int32], fmt)
        _assert_same(out, exact)
        message = _outcome(csv_parsing.decode_csv_lines, lines, [None, None, None], [dtypes.int32] * 3, fmt)
        assert message == _outcome(csv_parsing.decode_csv_exact, lines, [None, None, None], [dtypes.int32] * 3, fmt)
        assert "is required but missing in record" in message or "is not a valid int32" in message
    assert csv_parsing.split_plain([b"1,a,2"] * rows, 3, fmt)[2] is False


def test_digit_columns_parse_in_bulk_and_leave_the_rest_to_the_general_path():
    digits = [b"0", b"0042", b"77516", str(INT32_MAX).encode()]
    int32, int64 = (csv_parsing._column_kind(t) for t in (dtypes.int32, dtypes.int64))
    out = csv_parsing._digit_column(digits, np.int32, int32[3])
    assert out.dtype == np.int32 and out.tolist() == [0, 42, 77516, INT32_MAX]
    assert csv_parsing._digit_column([str(INT32_MAX + 1).encode()], np.int32, int32[3]) is None  # reported later
    big = csv_parsing._digit_column([str(INT64_MAX - 1).encode(), b"5"], np.int64, int64[3])
    assert big.dtype == np.int64 and big.tolist() == [INT64_MAX - 1, 5]
    for saturating in (str(INT64_MAX), str(INT64_MAX + 1), "9" * 30):
        assert csv_parsing._digit_column([saturating.encode()], np.int64, int64[3]) is None
    for other in ([b"-3"], [b"+5"], [b" 1"], [b"1 "], [b"1_0"], [b"1", b"2 3"], [b"1.0"], [b"x"], [b"1", b"2\t3"]):
        assert csv_parsing._digit_column(other, np.int32, int32[3]) is None
    signs = csv_parsing._convert_fast([b"-3", b" 4 "] * 20, int32, 0, b"", False)  # int() per field instead
    np.testing.assert_array_equal(signs, np.int32([-3, 4] * 20))


def test_out_of_range_digits_raise_tfs_error_naming_field_and_record():
    fmt = csv_parsing.CsvFormat()
    lines = [b"1,2"] * 70 + [b"3,2147483648"]
    with pytest.raises(errors.InvalidArgumentError, match="Field 1 in record 70 is not a valid int32: 2147483648"):
        csv_parsing.decode_csv_lines(lines, [0, 0], [dtypes.int32, dtypes.int32], fmt)
    lines = [b"1,9223372036854775807", b"2,9223372036854775808"]
    with pytest.raises(errors.InvalidArgumentError,
                       match="Field 1 in record 1 is not a valid int64: 9223372036854775808"):
        csv_parsing.decode_csv_lines(lines, [0, 0], [dtypes.int64, dtypes.int64], fmt)
    ok = csv_parsing.decode_csv_lines([b"9223372036854775807"], [0], [dtypes.int64], fmt)
    assert ok[0].tolist() == [INT64_MAX] and ok[0].dtype == np.int64


def test_column_kinds_are_looked_up_per_list_of_types():
    lists = [[dtypes.int32, dtypes.string, dtypes.int32][: 1 + i % 3] + [dtypes.int64] * (i % 2) for i in range(300)]
    for types in lists + lists[:5]:  # past the cache's bound and back
        kinds, floats, groups = csv_parsing._kinds_of(types)
        assert [k[2] for k in kinds] == [None if t == dtypes.string else t.as_numpy_dtype for t in types]
        assert not floats
        assert [g[0] for g in groups] == ([[0, 2]] if types.count(dtypes.int32) == 2 else [])
    assert csv_parsing._kinds_of([dtypes.float32, dtypes.string])[1] is True


_TF_DECODE = r"""
import json, re, sys
import numpy as np
import tensorflow as tf
out = []
for case in json.loads(open(sys.argv[1]).read()):
    lines = [s.encode("latin-1") for s in case["lines"]]
    defaults = []
    for kind, default in zip(case["types"], case["defaults"]):
        dtype = {"int": tf.int32, "int64": tf.int64, "float": tf.float32, "double": tf.float64,
                 "string": tf.string}[kind]
        defaults.append(tf.constant([], dtype) if default is None else tf.constant([default], dtype))
    try:
        cols = tf.io.decode_csv(lines, defaults, field_delim=case["delim"], use_quote_delim=case["quote"],
                                na_value=case["na"], select_cols=case["select"] or None)
        values = [[v.decode("latin-1") if isinstance(v, bytes) else float(v).hex() for v in c.numpy().tolist()]
                  for c in cols]
        out.append({"values": values, "dtypes": [c.dtype.name for c in cols]})
    except tf.errors.InvalidArgumentError as e:
        out.append({"error": re.sub(r"^\{\{function_node [^}]*\}\} ", "", e.message.split(" [Op:")[0])})
print(json.dumps(out))
"""


@pytest.mark.interop
def test_decode_csv_blocks_match_tensorflows(tmp_path, tf_python):
    # the same generated blocks as above through TF 2.15's DecodeCSV: values, dtypes and first errors
    rng = random.Random(12)
    cases = []
    for mode in ("plain", "numbers", "chaos"):
        for rows in (3, 30, 100):
            for _ in range(8):
                kinds = [rng.choice(list(_KINDS)) for _ in range(rng.randint(1, 6))]
                defaults = [None if rng.random() < 0.15 else _KINDS[k][1] for k in kinds]
                na, delim = rng.choice(["", "NA"]), rng.choice([",", ";"])
                select = sorted(rng.sample(range(len(kinds) + 2), len(kinds))) if rng.random() < 0.3 else []
                at = dict(zip(select or range(len(kinds)), zip(kinds, defaults)))
                missing_rate = rng.choice([0, 0.005, 0.08])
                width = (select or [len(kinds) - 1])[-1] + 1
                kind_at = [at.get(i, ("string", b"")) for i in range(width)]
                lines = [delim.join(_field(rng, k, mode, d is not None, na, missing_rate) for k, d in kind_at)
                         for _ in range(rows)]
                texts = [d.decode() if isinstance(d, bytes) else d for d in defaults]
                cases.append({"lines": lines, "types": kinds, "delim": delim, "quote": rng.random() < 0.8, "na": na,
                              "select": select, "defaults": texts})
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    want = run_tensorflow(tf_python, _TF_DECODE, path)
    assert sum("values" in w for w in want) > 25 and sum("error" in w for w in want) > 10  # both kinds compared
    for case, theirs in zip(cases, want, strict=True):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.string, [None])
            record_defaults = [tf.constant([] if d is None else [d], _KINDS[k][0])
                               for k, d in zip(case["types"], case["defaults"])]
            cols = decode_csv(x, record_defaults, field_delim=case["delim"], use_quote_delim=case["quote"],
                              na_value=case["na"], select_cols=case["select"] or None)
            with tf.Session() as sess:
                try:
                    ours = sess.run(cols, {x: [s.encode("latin-1") for s in case["lines"]]})
                except errors.InvalidArgumentError as e:
                    assert "error" in theirs and str(e).split("\n\t [[")[0] == theirs["error"], (case, theirs)
                    continue
        assert "values" in theirs, (case, theirs)
        assert [c.dtype.name if c.dtype != object else "string" for c in ours] == theirs["dtypes"]
        got = [[v.decode("latin-1") if isinstance(v, bytes) else float(v).hex() for v in c.tolist()] for c in ours]
        assert got == theirs["values"], case


@pytest.mark.parametrize("rows", [1, 40])
def test_a_plus_sign_is_an_error_on_integers_only(rows):
    # TF 2.15: "+5" is not a valid int32 or int64 (safe_strto32/64), but "+1.5" is a float
    fmt = csv_parsing.CsvFormat()
    for dtype, label in ((dtypes.int32, "int32"), (dtypes.int64, "int64")):
        lines = [b"1,2"] * (rows - 1) + [b"3,+5"]
        with pytest.raises(errors.InvalidArgumentError,
                           match=rf"^Field 1 in record {rows - 1} is not a valid {label}: \+5$"):
            csv_parsing.decode_csv_lines(lines, [0, 0], [dtype, dtype], fmt)
        assert csv_parsing.decode_csv_lines([b" -3 ,4"] * rows, [0, 0], [dtype, dtype], fmt)[0].tolist() == [-3] * rows
    floats = csv_parsing.decode_csv_lines([b"+1.5,+5"] * rows, [0.0, 0.0], [dtypes.float32, dtypes.float64], fmt)
    assert floats[0].tolist() == [1.5] * rows and floats[1].tolist() == [5.0] * rows


@pytest.mark.parametrize("text, value", [
    # TF 2.15's DecodeCSV on float32 / float64 fields (double-conversion): hex integers yes, "infinity" no
    ("0x10", 16.0), ("-0X1f", -31.0), ("+0x1", 1.0), (" 0x10 ", 16.0), ("INF", np.inf), ("-Inf", -np.inf),
    ("NaN", np.nan), ("5.e2", 500.0), (" +1.5", 1.5), ("-0x0", -0.0),
    ("infinity", None), ("Infinity", None), ("nan(1)", None), ("+-5", None), ("-+5", None), ("0x1.8p1", None),
    ("0x1.0", None), ("0x", None), ("00x10", None), (".e5", None), ("1.5f", None), ("+ 1", None),
])
@pytest.mark.parametrize("rows", [1, 40])
def test_float_fields_follow_tfs_grammar(text, value, rows):
    fmt = csv_parsing.CsvFormat()
    lines = [b"1.25"] * (rows - 1) + [text.encode()]
    for dtype, label in ((dtypes.float32, "float"), (dtypes.float64, "double")):
        if value is None:
            with pytest.raises(errors.InvalidArgumentError,
                               match=rf"^Field 0 in record {rows - 1} is not a valid {label}: "):
                csv_parsing.decode_csv_lines(lines, [0.0], [dtype], fmt)
            continue
        [column] = csv_parsing.decode_csv_lines(lines, [0.0], [dtype], fmt)
        want = np.array([1.25] * (rows - 1) + [value], dtype.as_numpy_dtype)
        assert column.dtype == want.dtype and column.tobytes() == want.tobytes() or np.isnan(value)
        assert np.isnan(column[-1]) if np.isnan(value) else column[-1] == value
