"""The measures of `bench_log.py`, one module per thing measured.

- `setup`: the benchmark's own database (Django started on it, migrated, seeded
  or an earlier seed reused); shared with `bench_search.py`.
- `timing`: how a measure is taken (warm-up then timed runs, median/min/max,
  per-query times, resident-memory sampling, query plans).
- `log_pages`: the log page's URLs and the page measure (also used by the
  case page and the admin list).
- `plans`: the page query of every sort read in index order, not sorted.
- `export`: the CSV export beside a raw cursor + `csv.writer` baseline.
- `case_page`, `reply`: the case page with 300 messages; a reply with 3 files.
- `admin_list`: the agent's admin case list over every case.
- `agent_pages`: the support agent's requests against their targets, beside
  baselines of the same run (issue #21).
- `serve`: requests/s under gunicorn, the log page beside a bare view.
- `report`: the targets and the Markdown report.

Django and the apps are imported inside the functions: these modules are
imported before Django starts (`bench_log.py` starts it from its arguments).
"""
