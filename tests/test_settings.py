"""Configuration from the environment fails loudly on bad values."""

from __future__ import annotations

import subprocess
import sys
import uuid
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile

from caselog.env import env_bool, env_int, mailer_from_environment, parse_email_url
from correspondence.limits import MAX_ATTACHMENTS, MAX_BODY_LENGTH
from correspondence.models import Message
from tests.conftest import make_case


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


def test_every_page_carries_a_strict_content_security_policy(seller_client):
    response = seller_client.get("/cases/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy


# The request-size settings follow what a message carries (correspondence.limits):
# the largest message a form accepts is never refused before the form reads it.


def test_the_longest_body_of_four_byte_characters_gets_through_percent_encoded(
    seller_client, account, seller
):
    case = make_case(account, owner=seller)
    body = "😀" * MAX_BODY_LENGTH  # 4 UTF-8 bytes each, 12 once percent-encoded
    response = seller_client.post(
        f"/cases/{case.id}/reply/",
        urlencode({"body": body, "submission_id": str(uuid.uuid4())}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    assert Message.objects.get(case=case).body == body


def test_a_file_too_many_reaches_the_form_which_names_the_limit(seller_client, account, seller):
    case = make_case(account, owner=seller)
    files = [
        SimpleUploadedFile(f"note{n}.txt", b"hello", content_type="text/plain")
        for n in range(MAX_ATTACHMENTS + 1)
    ]
    response = seller_client.post(
        f"/cases/{case.id}/reply/",
        {"body": "Files", "attachments": files, "submission_id": str(uuid.uuid4())},
    )
    assert response.status_code == 200
    assert (
        f"You can attach at most {MAX_ATTACHMENTS} files to a message; "
        f"you selected {MAX_ATTACHMENTS + 1}."
    ) in response.text
    assert not Message.objects.filter(case=case).exists()
