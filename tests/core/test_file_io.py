"""Atomic writes and the temporaries a killed writer leaves: which ones a later writer may remove."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from estflow.core import file_io


def test_atomic_write_leaves_only_the_target(tmp_path):
    file_io.atomic_write(tmp_path / "f", "text")
    assert os.listdir(tmp_path) == ["f"] and (tmp_path / "f").read_text() == "text"


def test_temporary_names_carry_host_and_pid(tmp_path):
    name = file_io.temporary_path(str(tmp_path / "m.index"), "tempstate")
    assert name.startswith(f"{tmp_path}/m.index.tempstate{file_io._HOST}-{os.getpid()}-")


@pytest.mark.skipif(os.name != "posix", reason="devices, FIFOs and pid liveness are POSIX features")
def test_stale_temporaries_rule(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine = file_io.temporary_path(str(tmp_path / "a.index"))
    theirs_dead = mine.replace(f"-{os.getpid()}-", f"-{dead.pid}-")
    other_host = f"{tmp_path}/a.index.tmp{'0' * 8 if file_io._HOST != '0' * 8 else '1' * 8}-{dead.pid}-ab"
    for path in (mine, theirs_dead, other_host, str(tmp_path / "a.index"), str(tmp_path / "b.index.tmp99")):
        Path(path).write_bytes(b"x")
    everything = lambda target: True  # noqa: E731 - the filter is not what this test checks
    assert file_io.stale_temporaries(str(tmp_path), everything) == [theirs_dead]
    later = time.time() + file_io.STALE_AGE_S + 60  # a day on, files whose writer cannot be asked are stale too
    assert file_io.stale_temporaries(str(tmp_path), everything, now=later) == sorted(
        [theirs_dead, other_host, str(tmp_path / "b.index.tmp99")])
    assert file_io.stale_temporaries(str(tmp_path), lambda target: target == "b.index", now=later) == [
        str(tmp_path / "b.index.tmp99")]
