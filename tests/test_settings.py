"""Configuration from the environment fails loudly on bad values."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from caselog.env import env_bool, env_int, mailer_from_environment, parse_email_url


def test_env_bool(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "0")
    assert env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("X_FLAG", True)


def test_env_int(monkeypatch):
    monkeypatch.setenv("X_NUM", "12")
    assert env_int("X_NUM", 3) == 12
    monkeypatch.setenv("X_NUM", "twelve")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_NUM", 3)
    monkeypatch.setenv("X_NUM", "-1")
    with pytest.raises(ImproperlyConfigured):
        env_int("X_NUM", 3, minimum=1)


def test_email_url_becomes_a_mailer():
    mailer = parse_email_url("smtp://user%40x:p%2Fw@mail.example:587?tls=1")
    assert mailer["BACKEND"].endswith("smtp.EmailBackend")
    assert mailer["OPTIONS"]["host"] == "mail.example"
    assert mailer["OPTIONS"]["port"] == 587
    assert mailer["OPTIONS"]["username"] == "user@x"
    assert mailer["OPTIONS"]["password"] == "p/w"
    assert mailer["OPTIONS"]["use_tls"] is True
    with pytest.raises(ImproperlyConfigured):
        parse_email_url("carrier-pigeon://x")


def test_default_mailer_is_the_console(monkeypatch):
    for name in ["EMAIL_URL", "EMAIL_HOST", "EMAIL_BACKEND"]:
        monkeypatch.delenv(name, raising=False)
    assert mailer_from_environment()["BACKEND"].endswith("console.EmailBackend")


def test_refuses_to_start_without_debug_and_with_the_dev_key(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"DJANGO_SETTINGS_MODULE": "caselog.settings", "DJANGO_DEBUG": "0", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is the development key" in result.stderr


def test_sqlite_uses_wal_and_immediate_transactions(settings):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("SQLite only")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]


def test_every_page_carries_a_strict_content_security_policy(seller_client):
    response = seller_client.get("/cases/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_the_request_body_limits_follow_what_a_message_carries():
    from django.conf import settings as django_settings

    from correspondence.limits import MAX_ATTACHMENTS, MAX_BODY_LENGTH

    # A few files too many still reach the form, which names the limit.
    assert django_settings.DATA_UPLOAD_MAX_NUMBER_FILES > MAX_ATTACHMENTS
    # The longest body, 4 UTF-8 bytes a character, percent-encoded (3 bytes each).
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE > 3 * 4 * MAX_BODY_LENGTH
