"""The simulated users: writers posting replies, readers browsing, counted in one tally.

Writers open a case and post a reply, some with 1-3 small real files, each
carrying the one-time `submission_id` of the form it came from; now and then a
writer sends the same form twice (a double click). Readers browse the log with
filters, sorts and pages, open cases and export CSV, and count any case ID of
the other account they are shown. Everything is bounded by a deadline and by a
total request budget.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from load.browser import CSRF, REQUEST_TIMEOUT, SUBMISSION, Browser, Response
from load.data import FILES, PASSWORD
from load.processes import Server


@dataclass
class Tally:
    """What every client saw, under one lock: statuses, latencies, acknowledged tokens."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    write_latencies: list[float] = field(default_factory=list)
    read_latencies: list[float] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)  # token -> files sent
    resubmitted: int = 0
    exports: int = 0
    foreign_rows: int = 0

    def take_request(self, budget: int) -> bool:
        with self.lock:
            if self.requests >= budget:
                return False
            self.requests += 1
            return True

    def count(self, response: Response | None, error: str | None = None) -> None:
        with self.lock:
            if response is not None:
                self.statuses[response.status] += 1
                if response.status >= 500:
                    self.errors.append(f"{response.status}: {response.text[:200]}")
            if error:
                self.errors.append(error)


@dataclass
class Plan:
    """What the clients share: the deadline, the request budget, the cases, the tally."""

    deadline: float
    budget: int
    case_ids: list[int]
    emails: list[str]
    foreign: set[str]
    tally: Tally
    rng_seed: int
    think: float  # mean pause between two requests of one client, in seconds

    def pause(self, rng: random.Random) -> None:
        if self.think > 0:
            time.sleep(
                min(rng.uniform(0, 2 * self.think), max(self.deadline - time.monotonic(), 0))
            )


def _writer(plan: Plan, browser: Browser, index: int) -> None:
    rng = random.Random(plan.rng_seed * 1000 + index)
    tally = plan.tally
    while time.monotonic() < plan.deadline and tally.take_request(plan.budget):
        plan.pause(rng)
        case_id = rng.choice(plan.case_ids)
        try:
            page = browser.get(f"/cases/{case_id}/")
            tally.count(page)
            csrf, submission = CSRF.search(page.text), SUBMISSION.search(page.text)
            if page.status != 200 or not csrf or not submission:
                continue
            files = rng.sample(FILES, rng.choice([1, 2, 3])) if rng.random() < 0.4 else []
            fields = {
                "csrfmiddlewaretoken": csrf.group(1),
                "submission_id": submission.group(1),
                "subject": f"Load {index}",
                "body": f"Load test message {submission.group(1)} — merci, ça marche ?",
            }
            sends = 2 if rng.random() < 0.05 else 1  # now and then, a double click
            plan.pause(rng)  # the time to type
            for attempt in range(sends):
                if not tally.take_request(plan.budget):
                    break
                started = time.perf_counter()
                response = browser.post_multipart(f"/cases/{case_id}/reply/", fields, files)
                elapsed = time.perf_counter() - started
                tally.count(response)
                with tally.lock:
                    tally.write_latencies.append(elapsed)
                    if response.status == 302:
                        if attempt:
                            tally.resubmitted += 1
                        else:
                            tally.acknowledged[submission.group(1)] = len(files)
        except OSError as error:
            tally.count(None, f"writer {index}: {error!r}")


def _reader_path(rng: random.Random, plan: Plan) -> str:
    params: list[tuple[str, str]] = []
    if rng.random() < 0.4:
        params += [("state", s) for s in rng.sample(["open", "pending_support", "answered"], 2)]
    if rng.random() < 0.3:
        params.append(("q", rng.choice(["refund", "order 10", "case 1", "zzz", "1"])))
    if rng.random() < 0.3:
        params.append(("email", rng.choice(plan.emails)))
    if rng.random() < 0.2:
        params.append(("mine", "1"))
    if rng.random() < 0.5:
        params.append(("o", rng.choice(["created", "-id", "state", "-email", "description"])))
    if rng.random() < 0.3:
        params.append(("per_page", rng.choice(["25", "50", "100"])))
    if rng.random() < 0.3:
        params.append(("page", rng.choice(["1", "2", "3"])))
    base = "/cases/export.csv" if rng.random() < 0.25 else "/cases/"
    return base + ("?" + urlencode(params) if params else "")


def _reader(plan: Plan, browser: Browser, index: int) -> None:
    rng = random.Random(plan.rng_seed * 2000 + index)
    tally = plan.tally
    while time.monotonic() < plan.deadline and tally.take_request(plan.budget):
        plan.pause(rng)
        path = (
            f"/cases/{rng.choice(plan.case_ids)}/"
            if rng.random() < 0.2
            else _reader_path(rng, plan)
        )
        try:
            started = time.perf_counter()
            response = browser.get(path)
            elapsed = time.perf_counter() - started
            tally.count(response)
            foreign = sum(1 for case_id in plan.foreign if case_id in response.text)
            with tally.lock:
                tally.read_latencies.append(elapsed)
                tally.exports += path.startswith("/cases/export.csv") and response.status == 200
                tally.foreign_rows += foreign
        except OSError as error:
            tally.count(None, f"reader {index}: {error!r}")


def drive(
    server: Server,
    seeded: dict[str, Any],
    seconds: float,
    clients: int,
    readers: int,
    max_requests: int,
    seed: int,
    think: float,
) -> dict[str, Any]:
    """`clients` writers and `readers` readers, logged in first, until the deadline or budget."""
    tally = Tally()
    emails = seeded["emails"]
    writer_browsers = [Browser(server.port) for _ in range(clients)]
    reader_browsers = [Browser(server.port) for _ in range(readers)]
    # Log everybody in before the clock starts: password hashing is not the load.
    for i, browser in enumerate(writer_browsers + reader_browsers):
        browser.login(emails[i % len(emails)], PASSWORD)
    plan = Plan(
        deadline=time.monotonic() + seconds,
        budget=max_requests,
        case_ids=seeded["cases"],
        emails=emails,
        foreign={str(case_id) for case_id in seeded["foreign"]},
        tally=tally,
        rng_seed=seed,
        think=think,
    )
    threads = [
        threading.Thread(target=_writer, args=(plan, b, i), daemon=True)
        for i, b in enumerate(writer_browsers)
    ] + [
        threading.Thread(target=_reader, args=(plan, b, i), daemon=True)
        for i, b in enumerate(reader_browsers)
    ]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT * 3)
    return {"tally": tally, "elapsed": time.monotonic() - began}
