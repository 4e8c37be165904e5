"""Small, strict readers for configuration from the environment.

A misspelt value fails loudly at start-up instead of silently falling back.
"""

import os
import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}


def parse_email_url(url: str) -> dict[str, Any]:
    """EMAIL_URL (smtp://user:pass@host:587?tls=1, smtps://…, console://) → a MAILERS entry."""
    parts = urlsplit(url)
    if parts.scheme not in _BACKENDS:
        raise ImproperlyConfigured(f"EMAIL_URL scheme must be one of {sorted(_BACKENDS)}")
    backend = _BACKENDS[parts.scheme]
    if not parts.scheme.startswith("smtp"):
        return {"BACKEND": backend}
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return {
        "BACKEND": backend,
        "OPTIONS": {
            "host": parts.hostname or "localhost",
            "port": parts.port or (465 if parts.scheme == "smtps" else 25),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_tls": query.get("tls", "0").lower() in _TRUE,
            "use_ssl": parts.scheme == "smtps" or query.get("ssl", "0").lower() in _TRUE,
            "timeout": 10,
        },
    }


def mailer_from_environment() -> dict[str, Any]:
    """The default mailer: EMAIL_URL, else EMAIL_HOST & co (SMTP), else the console."""
    if os.environ.get("EMAIL_URL"):
        return parse_email_url(os.environ["EMAIL_URL"])
    if os.environ.get("EMAIL_HOST"):
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": env_int("EMAIL_PORT", 25),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": 10,
            },
        }
    return {"BACKEND": env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")}


_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")


def proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """DJANGO_SECURE_PROXY_SSL_HEADER (a header name such as `X-Forwarded-Proto`, set by
    the proxy to `https`) → Django's SECURE_PROXY_SSL_HEADER; blank → None (trust none)."""
    name = name.strip()
    if not name:
        return None
    if not _HEADER_NAME.fullmatch(name):
        raise ImproperlyConfigured(
            f"DJANGO_SECURE_PROXY_SSL_HEADER must be a header name such as "
            f"X-Forwarded-Proto, got {name!r}"
        )
    return ("HTTP_" + name.upper().replace("-", "_"), "https")
