"""Settings for the throughput measure only: the product's, plus a bare "hello" view.

gunicorn serves the real application with these settings; `/bench-hello/` is
the floor a Django request costs on this machine (same middleware, no query).
Static files are served by their finders, as nothing is collected here.
"""

from caselog.settings import *  # noqa: F403
from caselog.settings import STORAGES

ROOT_URLCONF = "serve_urls"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
