"""Attachments, sessions and cache chosen by environment (docs/deploy.md)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from caselog.scaleout import (
    cache_from_environment,
    login_throttle_handler,
    rq_queues_from_environment,
    session_engine_from_environment,
    storage_from_environment,
    tasks_from_environment,
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for name in (
        "CASELOG_STORAGE_BACKEND",
        "AWS_STORAGE_BUCKET_NAME",
        "AWS_S3_ENDPOINT_URL",
        "CACHE_URL",
        "CASELOG_SESSION_ENGINE",
        "SESSION_ENGINE",
        "TASKS_BACKEND",
        "RQ_URL",
        "CASELOG_LOGIN_THROTTLE_STORE",
    ):
        monkeypatch.delenv(name, raising=False)


def test_attachments_default_to_the_filesystem():
    assert storage_from_environment() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_s3_storage_reads_the_bucket_and_stays_private(monkeypatch):
    monkeypatch.setenv("CASELOG_STORAGE_BACKEND", "s3")
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "caselog-files")
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    storage = storage_from_environment()
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "caselog-files"
    assert storage["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:9000"
    assert storage["OPTIONS"]["default_acl"] == "private"
    assert storage["OPTIONS"]["file_overwrite"] is False


def test_s3_without_a_bucket_fails_at_start(monkeypatch):
    monkeypatch.setenv("CASELOG_STORAGE_BACKEND", "s3")
    with pytest.raises(ImproperlyConfigured, match="AWS_STORAGE_BUCKET_NAME"):
        storage_from_environment()


def test_an_unknown_storage_name_fails_at_start(monkeypatch):
    monkeypatch.setenv("CASELOG_STORAGE_BACKEND", "ftp")
    with pytest.raises(ImproperlyConfigured):
        storage_from_environment()


def test_any_storage_class_by_dotted_path(monkeypatch):
    monkeypatch.setenv("CASELOG_STORAGE_BACKEND", "storages.backends.gcloud.GoogleCloudStorage")
    assert storage_from_environment()["BACKEND"].endswith("GoogleCloudStorage")


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        (None, "LocMemCache"),
        ("redis://127.0.0.1:6379/0", "RedisCache"),
        ("dummy://", "DummyCache"),
    ],
)
def test_cache_url(monkeypatch, url, backend):
    if url:
        monkeypatch.setenv("CACHE_URL", url)
    cache = cache_from_environment()
    assert cache["BACKEND"].endswith(backend)
    if url and url.startswith("redis"):
        assert cache["LOCATION"] == url


def test_a_bad_cache_url_fails(monkeypatch):
    monkeypatch.setenv("CACHE_URL", "memcached://x")
    with pytest.raises(ImproperlyConfigured):
        cache_from_environment()


@pytest.mark.parametrize("name", ["db", "cache", "cached_db"])
def test_session_engines(monkeypatch, name):
    monkeypatch.setenv("CASELOG_SESSION_ENGINE", name)
    engine = session_engine_from_environment(shared_cache=True, debug=False)
    assert engine == f"django.contrib.sessions.backends.{name}"


def test_session_engine_defaults_to_the_database():
    engine = session_engine_from_environment(shared_cache=False, debug=False)
    assert engine == "django.contrib.sessions.backends.db"


def test_cache_sessions_need_a_shared_cache_in_production(monkeypatch):
    monkeypatch.setenv("SESSION_ENGINE", "cache")
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        session_engine_from_environment(shared_cache=False, debug=False)
    assert session_engine_from_environment(shared_cache=False, debug=True).endswith("cache")


def test_downloads_and_replies_go_through_the_storage_api(seller_client, seller, settings):
    """A storage that is not the filesystem (in memory) serves the whole path."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from correspondence.models import Attachment
    from tests.conftest import make_case

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    case = make_case(seller.memberships.get().account, owner=seller)
    upload = SimpleUploadedFile("notes.txt", b"hello from memory", content_type="text/plain")
    response = seller_client.post(
        f"/cases/{case.pk}/reply/", {"body": "See the file", "attachments": [upload]}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(message__case=case)
    assert attachment.file.storage.__class__.__name__ == "InMemoryStorage"
    download = seller_client.get(f"/attachments/{attachment.token}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"hello from memory"


def test_tasks_default_to_the_database_queue():
    assert tasks_from_environment() == {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def test_tasks_in_redis_through_rq(monkeypatch):
    monkeypatch.setenv("TASKS_BACKEND", "rq")
    monkeypatch.setenv("CACHE_URL", "redis://10.0.0.5:6379/1")
    assert tasks_from_environment()["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
    assert rq_queues_from_environment()["default"]["URL"] == "redis://10.0.0.5:6379/1"
    monkeypatch.setenv("RQ_URL", "redis://10.0.0.6:6379/2")
    assert rq_queues_from_environment()["default"]["URL"] == "redis://10.0.0.6:6379/2"


def test_an_unknown_task_backend_fails_at_start(monkeypatch):
    monkeypatch.setenv("TASKS_BACKEND", "celery")
    with pytest.raises(ImproperlyConfigured, match="TASKS_BACKEND"):
        tasks_from_environment()


def test_login_throttle_in_the_database_or_the_shared_cache(monkeypatch):
    assert login_throttle_handler(shared_cache=False).endswith("AxesDatabaseHandler")
    monkeypatch.setenv("CASELOG_LOGIN_THROTTLE_STORE", "cache")
    assert login_throttle_handler(shared_cache=True).endswith("AxesCacheHandler")
    with pytest.raises(ImproperlyConfigured, match="shared cache"):
        login_throttle_handler(shared_cache=False)
    monkeypatch.setenv("CASELOG_LOGIN_THROTTLE_STORE", "redis")
    with pytest.raises(ImproperlyConfigured, match="database or cache"):
        login_throttle_handler(shared_cache=True)
