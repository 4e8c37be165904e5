"""SQLite connections that any number of processes can share on one database file.

In WAL mode SQLite deletes `db.sqlite3-wal` and `db.sqlite3-shm` when it closes
what it believes is the last connection to the database: it checks by taking
the database file's EXCLUSIVE lock, a POSIX advisory lock. `make run` opens and
closes connections all the time in several processes (runserver's request
threads with CONN_MAX_AGE=0, the worker between two polls, every short
management command), so the files are deleted and created again many times a
minute. When that check is ever wrong, the process still using the files keeps
the deleted ones: its connections read and write a WAL and a wal-index nobody
else sees, until it restarts. The tester saw exactly that (runserver holding the
deleted `-wal` and `-shm`, then "disk I/O error", "database disk image is
malformed", and an acknowledged reply missing from the file).

The check is wrong as soon as that process has lost its locks, and POSIX drops
all of a process's locks on a file when any descriptor of that file is closed
in it. A runserver made to open and close the database file after each request
(the lock loss, forced) shows the tester's symptoms within seconds without this
class, and none with it.

So no connection of this project deletes them: `SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`
makes a closing connection skip the checkpoint-and-delete (SQLite skips the
EXCLUSIVE lock as well). The WAL is still checkpointed as it grows, by the
automatic checkpoint of the commits, and `journal_size_limit` (settings) trims
the file after each reset. The files simply stay beside the database, as with
`PRAGMA journal_mode=WAL` and a persistent WAL; `scripts/backup.py` copies the
database with the online backup API, which reads through the WAL.
"""

from __future__ import annotations

import sqlite3
from typing import Any


class Connection(sqlite3.Connection):
    """`sqlite3.Connection` that never deletes the WAL or its index when it closes.

    Passed to `sqlite3.connect` as `factory` (settings.SQLITE_OPTIONS), so every
    connection Django opens (server, worker, management commands) has it from
    its first statement on.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setconfig(sqlite3.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, True)
