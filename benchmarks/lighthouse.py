"""Google Lighthouse (mobile preset) on the seller's pages under production settings.

Serves the application as production does (DJANGO_DEBUG=0, collected and compressed
static files, gunicorn) on a demo database of its own, logs the demo seller in and
runs Lighthouse on the log, a case page and the new-case page, with the session
cookie passed by --extra-headers. Prints each page's median performance score
over --runs runs (the score moves with the host's load: Lighthouse multiplies the
CPU time the busy host measures by its mobile throttling) and its worst cumulative
layout shift, and exits 1 when one is under 95 or at or above 0.1 (issue 22.9).

    .venv/bin/python benchmarks/lighthouse.py               # installs Lighthouse first
    .venv/bin/python benchmarks/lighthouse.py --port 18517 --keep-reports

Lighthouse is installed with `npm install --no-save lighthouse` into
benchmarks/.lighthouse (git-ignored); Chromium is Debian's /usr/bin/chromium
(CHROME_PATH). A run is about 20 seconds a page.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
LIGHTHOUSE_DIR = BENCH_DIR / ".lighthouse"
LIGHTHOUSE_CLI = LIGHTHOUSE_DIR / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
MIN_PERFORMANCE = 95
MAX_LAYOUT_SHIFT = 0.1
SELLER = "seller@example.com"  # correspondence/management/commands/seed_demo.py

# Run inside the served settings: a session for the demo seller and a case of theirs.
SESSION_SCRIPT = f"""
from django.test import Client
from django.contrib.auth import get_user_model
from cases.models import Case, CaseState
user = get_user_model().objects.get(email={SELLER!r})
client = Client()
client.force_login(user)
case = (
    Case.objects.filter(primary_email=user.email, state=CaseState.NEEDS_ATTENTION)
    .order_by("-last_activity_at")
    .first()
)
print(client.cookies["sessionid"].value, case.pk)
"""


def install_lighthouse() -> None:
    if LIGHTHOUSE_CLI.exists():
        return
    LIGHTHOUSE_DIR.mkdir(exist_ok=True)
    subprocess.run(
        ["npm", "install", "--no-save", "--no-audit", "--no-fund", "lighthouse"],
        cwd=LIGHTHOUSE_DIR,
        check=True,
    )


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def lighthouse(url: str, cookie: str, report: Path) -> tuple[float, float]:
    subprocess.run(
        [
            "node",
            str(LIGHTHOUSE_CLI),
            url,
            "--quiet",
            "--only-categories=performance",  # the mobile preset is Lighthouse's default
            f"--chrome-flags={CHROME_FLAGS}",
            f"--extra-headers={json.dumps({'Cookie': f'sessionid={cookie}'})}",
            "--output=json",
            f"--output-path={report}",
        ],
        env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")},
        check=True,
    )
    result = json.loads(report.read_text())
    if result.get("finalDisplayedUrl", url).split("?")[0] != url.split("?")[0]:
        raise RuntimeError(f"{url} ended on {result.get('finalDisplayedUrl')}: not logged in?")
    score = result["categories"]["performance"]["score"] * 100
    shift = result["audits"]["cumulative-layout-shift"]["numericValue"]
    return score, shift


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18517)
    parser.add_argument("--keep-reports", action="store_true", help="keep the JSON reports")
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per page; the median score is reported (3)"
    )
    parser.add_argument(
        "--pages", default="log,case,new", help="which of log,case,new to measure (all three)"
    )
    args = parser.parse_args()
    install_lighthouse()

    work = Path(tempfile.mkdtemp(prefix="caselog-lighthouse-"))
    base = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "caselog.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CASELOG_SITE_URL": base,
        "DATABASE_URL": f"sqlite:///{work / 'lighthouse.sqlite3'}",
        "MEDIA_ROOT": str(work / "media"),
    }
    manage(env, "migrate", "--no-input")
    manage(env, "seed_demo")
    manage(env, "collectstatic", "--no-input")
    cookie, case_id = manage(env, "shell", "-c", SESSION_SCRIPT).splitlines()[-1].split()

    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--workers=2",
            f"--bind=127.0.0.1:{args.port}",
            "--log-level=warning",
            "caselog.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
    )
    failed = False
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=1).read()  # noqa: S310
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.3)
        print(f"{'page':<22} {'performance':>11} {'layout shift':>13}")
        pages = {
            "log": ("log", "/cases/"),
            "case": ("case page", f"/cases/{case_id}/"),
            "new": ("new case", "/cases/new/"),
        }
        for name, path in (pages[key] for key in args.pages.split(",")):
            runs = [
                lighthouse(base + path, cookie, work / f"{name.replace(' ', '-')}-{run}.json")
                for run in range(args.runs)
            ]
            # Lighthouse's own advice on variance: the median run's score; the
            # layout shift does not vary with the host's load, so the worst one.
            score = statistics.median(score for score, _shift in runs)
            shift = max(shift for _score, shift in runs)
            bad = score < MIN_PERFORMANCE or shift >= MAX_LAYOUT_SHIFT
            failed |= bad
            each = ", ".join(f"{score:.0f}" for score, _shift in runs)
            print(f"{name:<22} {score:>11.0f} {shift:>13.3f}  ({each}){'  FAIL' if bad else ''}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    if args.keep_reports:
        print(f"reports: {work}")
    else:
        subprocess.run(["rm", "-rf", str(work)], check=False)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
