"""README.md's speed summary is generated from BENCHMARKS.md by scripts/update_readme_speed.py."""

import importlib.util

import pytest

from tests import REPO


def _script():
    spec = importlib.util.spec_from_file_location("update_readme_speed", REPO / "scripts" / "update_readme_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_summary_is_what_the_script_generates_from_benchmarks():
    script = _script()
    readme = (REPO / "README.md").read_text()
    assert script.START in readme and script.END in readme
    assert script.render(readme, (REPO / "BENCHMARKS.md").read_text()) == readme, \
        "README.md's speed summary is stale: run python scripts/update_readme_speed.py"


def test_summary_quotes_medians_with_ranges_and_tf_only_for_the_same_workload():
    script = _script()
    benchmarks = (REPO / "BENCHMARKS.md").read_text()
    sections = script.sections(benchmarks)
    # The same document with every figure of the rows the summary quotes given as median (range).
    overhead = sections["Session.run overhead"]
    overhead = overhead.replace(script.row(script.table(overhead), "(c)")["estflow / numpy"],
                                "1.89x (1.82-1.96x) (target <= 2x)")
    changed = benchmarks.replace(sections["Session.run overhead"], overhead)
    text = " ".join(script.summary(changed).split())
    assert "ten elementwise ops on a `[128]` vector cost 1.89x (1.82-1.96x) the ten numpy calls" in text
    assert text != script.summary(benchmarks)
    # TensorFlow's estimator training throughput is another workload than the input pipeline alone.
    csv_sentence = text[text.index("a CSV input pipeline"):]
    assert "TF" not in csv_sentence.split(", and")[0] and "TensorFlow" not in csv_sentence.split(", and")[0]


def test_cells_with_and_without_a_range():
    say = _script().say
    assert say("4.90") == "4.90"
    assert say("4.90 (4.71-5.32)") == "4.90 (4.71-5.32)"
    assert say("0.57x (0.33-0.80x)") == "0.57x (0.33-0.80x)"
    assert say("517k (490k-530k)") == "517k (490k-530k)"
    with pytest.raises(ValueError):
        say("-")


def test_check_mode_fails_on_a_stale_readme(tmp_path, monkeypatch):
    script = _script()
    (tmp_path / "BENCHMARKS.md").write_text((REPO / "BENCHMARKS.md").read_text())
    readme = (REPO / "README.md").read_text()
    (tmp_path / "README.md").write_text(readme.replace(script.START + "\n", script.START + "\nstale words\n"))
    monkeypatch.setattr(script, "ROOT", tmp_path)
    assert script.main(["--check"]) == 1
    assert script.main([]) == 0
    assert (tmp_path / "README.md").read_text() == readme
    assert script.main(["--check"]) == 0
