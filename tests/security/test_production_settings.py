"""Production defaults are safe without reading the code: what a site started with
DJANGO_DEBUG=0 and nothing else does (a fresh interpreter reads the environment)."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "caselog.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x" * 60,
    "DJANGO_ALLOWED_HOSTS": "testserver,caselog.example",
    "CASELOG_SITE_URL": "https://caselog.example",
    "PATH": "",
}

# Three requests for the case log (which sends a stranger to the login page, so no
# template needs the collected static files): plain HTTP, plain HTTP claiming to be
# HTTPS through X-Forwarded-Proto, and HTTPS.
PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client()
plain = client.get("/cases/")
forwarded = client.get("/cases/", headers={"x-forwarded-proto": "https"})
secure = client.get("/cases/", secure=True)
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "forwarded": [forwarded.status_code, forwarded.get("Location")],
    "secure": [secure.status_code, secure.get("Location")],
    "hsts": secure.get("Strict-Transport-Security"),
}))
"""


def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        env={**PRODUCTION, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def probe(**env: str) -> dict:
    result = run(PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_redirects_to_https_with_hsts_for_this_host_only():
    seen = probe()
    assert seen["plain"] == [301, "https://testserver/cases/"]
    assert seen["secure"] == [302, "/accounts/login/?next=/cases/"]
    # A year, for this host: no subdomains, no preload list unless the operator opts in.
    assert seen["hsts"] == "max-age=31536000"


def test_the_forwarded_proto_header_is_not_trusted_unless_configured():
    # Anyone can send the header: without a proxy named to set it, it proves nothing.
    assert probe()["forwarded"] == [301, "https://testserver/cases/"]
    trusting = probe(DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert trusting["forwarded"] == [302, "/accounts/login/?next=/cases/"]
    assert trusting["plain"][0] == 301


def test_hsts_subdomains_and_preload_are_each_an_opt_in():
    assert probe(DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="1")["hsts"] == (
        "max-age=31536000; includeSubDomains"
    )
    assert probe(DJANGO_SECURE_HSTS_PRELOAD="1")["hsts"] == "max-age=31536000; preload"


def test_a_malformed_proxy_header_name_is_refused():
    result = run("import django; django.setup()", DJANGO_SECURE_PROXY_SSL_HEADER="X Proto: https")
    assert result.returncode != 0
    assert "DJANGO_SECURE_PROXY_SSL_HEADER must be a header name" in result.stderr


def test_without_debug_the_site_url_is_required():
    env = {key: value for key, value in PRODUCTION.items() if key != "CASELOG_SITE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "CASELOG_SITE_URL is not set" in result.stderr


def test_check_deploy_is_clean_with_the_defaults():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={
            **PRODUCTION,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "EMAIL_URL": "smtp://mail.caselog.example:587?tls=1",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_cookies_carry_their_flags():
    """Session, CSRF and language cookies: Secure with DEBUG off; the language
    cookie also HttpOnly and SameSite=Lax (issue #23.8, the scanners' finding)."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE,"
        " s.LANGUAGE_COOKIE_HTTPONLY, s.LANGUAGE_COOKIE_SAMESITE == 'Lax')"
    )
    result = run(code)
    assert result.stdout.split() == ["True"] * 5, result.stderr
