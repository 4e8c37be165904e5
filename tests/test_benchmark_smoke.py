"""The benchmark runs end to end on a small data set, so it cannot rot (no timing asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_log.py"


@pytest.mark.django_db(transaction=True)
def test_benchmark_smoke_run(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_log", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--cases", "2000", "--repeat", "1", "--out", str(tmp_path / "r.md")])
    assert (tmp_path / "r.md").read_text().count("|") > 10
    assert results
