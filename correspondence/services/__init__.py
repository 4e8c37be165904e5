"""Every write to a case's correspondence goes through a function here.

`message_post` is the one way a message is written, by a seller page or by the
admin: it re-checks the attachment rules inside the transaction, saves the
message and its files all or nothing, and moves the case through
`cases.services.case_transition`. Files are written to storage before the
transaction commits, so any failure deletes every file already written: no
message, no attachment row and no orphan file.

One module per concern (`write`: the write of one message, which every message
write uses, and its errors; `messages`: reply, note, new case; `uploads`: files in
storage and held uploads; `bulk`: the agents' background moves; `upkeep`: the
timers and the index rebuild); every public name is also here, so
`from correspondence.services import message_post` reads as before.
"""

from correspondence.services.bulk import (
    BULK_EVENTS,
    BULK_IN_BACKGROUND,
    bulk_job_run,
    bulk_job_start,
)
from correspondence.services.messages import case_note_add, case_open, message_post
from correspondence.services.upkeep import TimersRun, case_timers_run, search_index_rebuild
from correspondence.services.uploads import (
    HELD_SALT,
    files_removed_on_failure,
    held_files_add,
    held_files_expire,
    uploads_held,
    uploads_hold,
    uploads_release,
)
from correspondence.services.write import CaseChangedError, DuplicateSubmissionError

__all__ = [
    "BULK_EVENTS",
    "BULK_IN_BACKGROUND",
    "HELD_SALT",
    "CaseChangedError",
    "DuplicateSubmissionError",
    "TimersRun",
    "bulk_job_run",
    "bulk_job_start",
    "case_note_add",
    "case_open",
    "case_timers_run",
    "files_removed_on_failure",
    "held_files_add",
    "held_files_expire",
    "message_post",
    "search_index_rebuild",
    "uploads_held",
    "uploads_hold",
    "uploads_release",
]
