"""How a measure is taken: warm-up and timed runs, query times, memory, plans."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any


class RssSampler:
    """Samples this process's resident memory every `interval` s; reports the peak growth.

    Two figures: all resident memory, and its anonymous part (heap: Python objects,
    the database driver's buffers). File-backed pages (SQLite's memory-mapped
    database file) count in the first but are not memory the export holds.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.page_size = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self.baseline = self.peak = (0, 0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> tuple[int, int]:
        """(resident, anonymous resident) in bytes."""
        try:
            with open("/proc/self/statm", "rb") as statm:
                fields = statm.read().split()
        except OSError:  # not Linux: peak RSS only, growth will read as 0
            import resource

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            return peak, peak
        resident, shared = int(fields[1]), int(fields[2])
        return resident * self.page_size, (resident - shared) * self.page_size

    def _update(self) -> None:
        total, anon = self.sample()
        self.peak = (max(self.peak[0], total), max(self.peak[1], anon))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._update()

    def __enter__(self) -> RssSampler:
        self.baseline = self.peak = self.sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._update()
        self._stop.set()
        if self._thread:
            self._thread.join()

    @property
    def growth_mb(self) -> float:
        return (self.peak[0] - self.baseline[0]) / 2**20

    @property
    def anon_growth_mb(self) -> float:
        return (self.peak[1] - self.baseline[1]) / 2**20


class QueryTimer:
    """An execute wrapper that times each query (the debug cursor rounds to 1 ms)."""

    def __init__(self) -> None:
        self.ms: list[float] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms.append((time.perf_counter() - started) * 1000)


def stats(values: list[float]) -> dict[str, float]:
    """Median, min and max of the timed runs."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
    }


def timed(func: Callable[[], Any], repeat: int) -> tuple[list[float], list[Any]]:
    """One warm-up call, then `repeat` timed calls: (seconds of each, what each returned)."""
    func()  # warm-up
    times, results = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        results.append(func())
        times.append(time.perf_counter() - started)
    return times, results


def explain(sql: str, params: Any = None) -> str:
    """The database's plan of `sql`, as text (SQLite's tree indented)."""
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        depth: dict[int, int] = {0: -1}
        lines = []
        for node, parent, _, detail in rows:
            depth[node] = depth.get(parent, -1) + 1
            lines.append("  " * depth[node] + detail)
        return "\n".join(lines)
    return "\n".join(row[0] for row in rows)
