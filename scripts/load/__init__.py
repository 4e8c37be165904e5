"""The parts of the load test (scripts/loadtest.py), one module per concern.

- `django_env`: the throwaway database, the servers' environment, and Django run
  in a subprocess (`in_django/seed.py`, `in_django/check.py` run there).
- `processes`: child processes in their own process group (gunicorn, the task
  worker; the cluster test's services too).
- `browser`: a tiny stdlib HTTP client, one user with cookies and CSRF tokens.
- `data`: who logs in, the files sent, the seed and the check afterwards.
- `stack`: database, worker and gunicorn, started and stopped together.
- `clients`: the writers and the readers, and the tally they share.
- `report`: the figures, the goals they must meet, the printed table.
"""
