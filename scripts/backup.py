"""Back up and restore a SQLite caselog: the database (online) and the attachment files.

    .venv/bin/python scripts/backup.py backup [--db db.sqlite3] [--media var/media] [--out DIR]
    .venv/bin/python scripts/backup.py restore ARCHIVE --db NEW.sqlite3 --media NEW_MEDIA [--force]
    .venv/bin/python scripts/backup.py verify  ARCHIVE

`backup` copies the database with SQLite's online backup API (the site keeps
running: readers and writers are not stopped, and the copy is one consistent
moment), THEN copies the media folder, into one .tar.gz with a manifest. Files
are only ever added (under new random names), so every file the database copy
refers to is already on disk when the media folder is read; a file added later
is at worst an extra, unreferenced one. `restore` unpacks into new locations
(it refuses to overwrite unless --force), checks the database's integrity and
that every attachment the database lists is there. PostgreSQL: see
docs/backup.md (pg_dump -Fc / pg_restore, and the same media copy).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "db.sqlite3"
MEDIA_NAME = "media"
MANIFEST = "manifest.json"


def default_db() -> Path:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///"))
    if url:
        raise SystemExit("DATABASE_URL is not SQLite: use pg_dump (see docs/backup.md)")
    return ROOT / DB_NAME


def default_media() -> Path:
    return Path(os.environ.get("MEDIA_ROOT", ROOT / "var" / "media"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def open_read_only(database: Path, timeout: float = 5) -> sqlite3.Connection:
    """A read-only connection that, closing, leaves the WAL to the site (caselog/sqlite.py)."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=timeout)
    conn.setconfig(sqlite3.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, True)
    return conn


def online_copy(source: Path, target: Path) -> None:
    """SQLite's backup API: a consistent copy while the site keeps reading and writing."""
    if not source.exists():
        raise SystemExit(f"no database at {source}")
    src = open_read_only(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=1024, sleep=0.005)  # small steps: writers are not held up
    finally:
        dst.close()
        src.close()


def referenced_files(database: Path) -> list[str]:
    conn = open_read_only(database)
    try:
        return [row[0] for row in conn.execute("SELECT file FROM correspondence_attachment")]
    finally:
        conn.close()


def integrity(database: Path) -> str:
    conn = open_read_only(database)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def backup(db: Path, media: Path, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    archive = out / f"caselog-backup-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="caselog-backup-") as tmp:
        copy = Path(tmp) / DB_NAME
        online_copy(db, copy)  # the database first, then the files it refers to
        files = referenced_files(copy)
        manifest = {
            "created_utc": stamp,
            "database_sha256": _sha256(copy),
            "attachments": len(files),
        }
        (Path(tmp) / MANIFEST).write_text(json.dumps(manifest, indent=2))
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(copy, DB_NAME)
            tar.add(Path(tmp) / MANIFEST, MANIFEST)
            if media.exists():
                tar.add(media, MEDIA_NAME)
        partial.rename(archive)  # never leave a half-written archive under the final name
    return archive


def restore(archive: Path, db: Path, media: Path, *, force: bool = False) -> dict[str, int]:
    if not force and (db.exists() or (media.exists() and any(media.iterdir()))):
        raise SystemExit(f"{db} or {media} already holds data: restore elsewhere or use --force")
    with tempfile.TemporaryDirectory(prefix="caselog-restore-") as tmp:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(tmp, filter="data")  # no absolute paths, links out or devices
        unpacked = Path(tmp)
        manifest = json.loads((unpacked / MANIFEST).read_text())
        if _sha256(unpacked / DB_NAME) != manifest["database_sha256"]:
            raise SystemExit("the database in the archive does not match its manifest")
        if integrity(unpacked / DB_NAME) != "ok":
            raise SystemExit("the database in the archive fails SQLite's integrity check")
        missing = [
            name
            for name in referenced_files(unpacked / DB_NAME)
            if not (unpacked / MEDIA_NAME / name).is_file()
        ]
        if missing:
            raise SystemExit(f"{len(missing)} attachment file(s) missing, e.g. {missing[:3]}")
        db.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ["", "-wal", "-shm"]:
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copy2(unpacked / DB_NAME, db)
        if (unpacked / MEDIA_NAME).exists():
            shutil.copytree(unpacked / MEDIA_NAME, media, dirs_exist_ok=True)
        else:
            media.mkdir(parents=True, exist_ok=True)
    return {"attachments": manifest["attachments"]}


def verify(archive: Path) -> dict[str, int]:
    with tempfile.TemporaryDirectory(prefix="caselog-verify-") as tmp:
        return restore(archive, Path(tmp) / DB_NAME, Path(tmp) / MEDIA_NAME)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="write a .tar.gz of the database and media")
    make.add_argument("--db", type=Path, default=None)
    make.add_argument("--media", type=Path, default=None)
    make.add_argument("--out", type=Path, default=ROOT / "var" / "backups")
    back = commands.add_parser("restore", help="unpack a backup into new locations")
    back.add_argument("archive", type=Path)
    back.add_argument("--db", type=Path, required=True)
    back.add_argument("--media", type=Path, required=True)
    back.add_argument("--force", action="store_true")
    check = commands.add_parser("verify", help="restore into a temporary folder and check")
    check.add_argument("archive", type=Path)
    args = parser.parse_args(argv)
    if args.command == "backup":
        archive = backup(args.db or default_db(), args.media or default_media(), args.out)
        print(archive)
    elif args.command == "restore":
        result = restore(args.archive, args.db, args.media, force=args.force)
        print(f"restored: {result['attachments']} attachments, database at {args.db}")
    else:
        result = verify(args.archive)
        print(f"ok: {result['attachments']} attachments, database intact")
    return 0


if __name__ == "__main__":
    sys.exit(main())
