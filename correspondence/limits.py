"""How much a message may carry, as plain numbers.

Plain, so that the settings can read them before any app is loaded (Django's
request-body limits follow from them); the rules (`correspondence.rules`), the
forms, the services and the request-size middleware read the same names.
"""

from __future__ import annotations

from datetime import timedelta

MAX_ATTACHMENTS = 3
MAX_BODY_LENGTH = 20_000  # characters
# Django stops parsing a body with more files than this (DATA_UPLOAD_MAX_NUMBER_FILES).
# Up to it, the files reach the form, which says how many a message may carry.
MAX_FILES_PARSED = MAX_ATTACHMENTS + 7
# The form fields other than files (DATA_UPLOAD_MAX_MEMORY_SIZE; files stream to
# disk). A body of MAX_BODY_LENGTH characters is at most 4 bytes each in UTF-8,
# 3 times that percent-encoded: 2 MiB leaves ample room for it and the other fields.
MAX_FIELDS_BYTES = 2 * 1024 * 1024
# A stored file no attachment row names is an orphan once older than this (the
# hourly sweep); longer than any upload takes, and than a held upload waits.
ORPHAN_MIN_AGE = timedelta(hours=1)
