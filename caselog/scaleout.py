"""Where attachments, sessions and the cache live, read from the environment.

Defaults keep everything on one machine (files under MEDIA_ROOT, sessions in the
database, a per-process cache). For several app servers, point them at shared
services: an S3-compatible object store, the database or Redis. See
docs/deploy.md. A wrong value fails at start-up, not at the first upload.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from caselog.env import env_bool, env_str

STORAGE_BACKENDS = {
    "filesystem": "django.core.files.storage.FileSystemStorage",
    # django-storages, an optional extra: pip install ".[s3]"
    "s3": "storages.backends.s3.S3Storage",
}
SESSION_ENGINES = {
    "db": "django.contrib.sessions.backends.db",
    "cache": "django.contrib.sessions.backends.cache",
    "cached_db": "django.contrib.sessions.backends.cached_db",
}
_S3_OPTIONS = {
    # environment variable → S3Storage option (django-storages names)
    "AWS_STORAGE_BUCKET_NAME": "bucket_name",
    "AWS_S3_ENDPOINT_URL": "endpoint_url",
    "AWS_S3_REGION_NAME": "region_name",
    "AWS_ACCESS_KEY_ID": "access_key",
    "AWS_SECRET_ACCESS_KEY": "secret_key",
    "AWS_LOCATION": "location",
    "AWS_S3_CUSTOM_DOMAIN": "custom_domain",
}


def storage_from_environment() -> dict[str, Any]:
    """STORAGES["default"] from CASELOG_STORAGE_BACKEND: filesystem, s3 or a dotted path."""
    name = env_str("CASELOG_STORAGE_BACKEND", "filesystem").strip() or "filesystem"
    backend = STORAGE_BACKENDS.get(name, name)
    if "." not in backend:
        raise ImproperlyConfigured(
            f"CASELOG_STORAGE_BACKEND must be one of {sorted(STORAGE_BACKENDS)} or a dotted "
            f"path to a storage class, got {name!r}"
        )
    if backend != STORAGE_BACKENDS["s3"]:
        return {"BACKEND": backend}
    options: dict[str, Any] = {
        option: os.environ[variable]
        for variable, option in _S3_OPTIONS.items()
        if os.environ.get(variable)
    }
    if "bucket_name" not in options:
        raise ImproperlyConfigured("CASELOG_STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME")
    options.setdefault("location", "attachments")
    # Private objects; the download view streams them after its access check,
    # so no public or pre-signed URL is ever handed out.
    options.update(
        default_acl="private",
        querystring_auth=True,
        file_overwrite=False,
        signature_version=env_str("AWS_S3_SIGNATURE_VERSION", "s3v4"),
        addressing_style=env_str("AWS_S3_ADDRESSING_STYLE", "") or None,
        use_ssl=env_bool("AWS_S3_USE_SSL", True),
    )
    return {"BACKEND": backend, "OPTIONS": options}


def cache_from_environment() -> dict[str, Any]:
    """CACHES["default"] from CACHE_URL: redis://, rediss://, locmem:// or dummy://."""
    url = env_str("CACHE_URL", "locmem://").strip() or "locmem://"
    scheme = urlsplit(url).scheme
    if scheme in ("redis", "rediss", "unix"):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "caselog"),
        }
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(
        f"CACHE_URL must start with redis://, rediss://, locmem:// or dummy://, got {url!r}"
    )


def session_engine_from_environment(*, shared_cache: bool, debug: bool) -> str:
    """SESSION_ENGINE from CASELOG_SESSION_ENGINE (or SESSION_ENGINE): db, cache, cached_db."""
    raw = os.environ.get("CASELOG_SESSION_ENGINE") or os.environ.get("SESSION_ENGINE") or "db"
    name = raw.strip().rsplit(".", 1)[-1]
    if name not in SESSION_ENGINES:
        raise ImproperlyConfigured(
            f"CASELOG_SESSION_ENGINE must be one of {sorted(SESSION_ENGINES)}, got {raw!r}"
        )
    if name == "cache" and not shared_cache and not debug:
        # A per-process cache would log users out whenever a request reaches
        # another worker or server.
        raise ImproperlyConfigured(
            "CASELOG_SESSION_ENGINE=cache needs a shared cache: set CACHE_URL=redis://…"
        )
    return SESSION_ENGINES[name]


TASK_BACKENDS = {
    # django-tasks-db: tasks are rows of this database, claimed with
    # SELECT … FOR UPDATE SKIP LOCKED; `manage.py run_worker` runs them.
    "database": "django_tasks_db.DatabaseBackend",
    # django-tasks-rq, an optional extra (pip install ".[rq]"): tasks in Redis,
    # run by `manage.py rqworker`.
    "rq": "django_tasks_rq.RQBackend",
    # Runs each task at once, in the caller (tests, one-off scripts).
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
}


def tasks_from_environment() -> dict[str, Any]:
    """TASKS from TASKS_BACKEND: database (default), rq, immediate or a dotted path."""
    name = env_str("TASKS_BACKEND", "database").strip() or "database"
    backend = TASK_BACKENDS.get(name, name)
    if "." not in backend:
        raise ImproperlyConfigured(
            f"TASKS_BACKEND must be one of {sorted(TASK_BACKENDS)} or a dotted path, got {name!r}"
        )
    return {"default": {"BACKEND": backend, "QUEUES": ["default"]}}


def rq_queues_from_environment() -> dict[str, Any]:
    """RQ_QUEUES for django-rq: the "default" queue at RQ_URL (else CACHE_URL if Redis)."""
    url = env_str("RQ_URL", "").strip()
    if not url and urlsplit(env_str("CACHE_URL", "")).scheme in ("redis", "rediss"):
        url = env_str("CACHE_URL", "")
    return {"default": {"URL": url or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 300}}


def login_throttle_handler(*, shared_cache: bool) -> str:
    """AXES_HANDLER: failed logins in the database (default) or in the shared cache."""
    store = env_str("CASELOG_LOGIN_THROTTLE_STORE", "database").strip() or "database"
    if store == "database":
        return "axes.handlers.database.AxesDatabaseHandler"
    if store == "cache":
        if not shared_cache:
            raise ImproperlyConfigured(
                "CASELOG_LOGIN_THROTTLE_STORE=cache needs a shared cache: set CACHE_URL=redis://…"
            )
        return "axes.handlers.cache.AxesCacheHandler"
    raise ImproperlyConfigured(
        f"CASELOG_LOGIN_THROTTLE_STORE must be database or cache, got {store!r}"
    )
