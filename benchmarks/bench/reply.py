"""A reply with 3 files, POSTed through Django's WSGI handler with the body streamed."""

from __future__ import annotations

import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.timing import RssSampler, stats


def _multipart_file(path: Path, fields: dict[str, str], files: list[tuple[str, int]]) -> str:
    """Write a multipart/form-data body to `path` (so the client holds none of it)."""
    boundary = "BenchBoundary7MA4YWxkTrZu0gW"
    chunk = (b"%PDF-1.4\n" + b"0" * 1015) * 1024  # 1 MB of a file that starts like a PDF
    with path.open("wb") as body:
        for name, value in fields.items():
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for filename, megabytes in files:
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
                f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
            )
            # Just under the limit (CASELOG_MAX_ATTACHMENT_MB is in MiB).
            for _ in range(megabytes - 1):
                body.write(chunk)
            body.write(chunk[: len(chunk) - 4096])
            body.write(b"\r\n")
        body.write(f"--{boundary}--\r\n".encode())
    return boundary


def measure_reply(client: Any, case_id: int, repeat: int, megabytes: int) -> dict[str, Any]:
    """POST a reply with 3 files through the real view and WSGI handler.

    The request body is read from a file, as a WSGI server streams it from the
    socket: the memory measured is the server side's (upload handlers, form,
    service, storage).
    """
    from django.core.handlers.wsgi import WSGIHandler

    from correspondence.models import Attachment, Message

    handler = WSGIHandler()
    session = client.cookies["sessionid"].value
    csrf = "b" * 32
    times, growths, anon = [], [], []
    before = set(Message.objects.filter(case_id=case_id).values_list("pk", flat=True))
    with tempfile.TemporaryDirectory() as folder:
        for run in range(repeat + 1):
            body_path = Path(folder) / "body"
            boundary = _multipart_file(
                body_path,
                {"body": f"Bench reply {run}", "subject": "", "submission_id": str(uuid.uuid4())},
                [(f"statement-{n}.pdf", megabytes) for n in range(3)],
            )
            with body_path.open("rb") as stream:
                environ = {
                    "REQUEST_METHOD": "POST",
                    "PATH_INFO": f"/cases/{case_id}/reply/",
                    "SERVER_NAME": "localhost",
                    "SERVER_PORT": "80",
                    "SERVER_PROTOCOL": "HTTP/1.1",
                    "wsgi.url_scheme": "http",
                    "wsgi.input": stream,
                    "wsgi.errors": sys.stderr,
                    "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
                    "CONTENT_LENGTH": str(body_path.stat().st_size),
                    "HTTP_COOKIE": f"sessionid={session}; csrftoken={csrf}",
                    "HTTP_X_CSRFTOKEN": csrf,
                }
                statuses: list[str] = []
                with RssSampler() as rss:
                    started = time.perf_counter()

                    def start(status: str, _headers: Any, seen: list[str] = statuses) -> None:
                        seen.append(status)

                    response = handler(environ, start)
                    page = b"".join(response).decode("utf-8", "replace")
                    elapsed = time.perf_counter() - started
                if hasattr(response, "close"):
                    response.close()
            if not statuses or not statuses[0].startswith("302"):
                errors = re.findall(r'class="[^"]*invalid-feedback[^"]*"[^>]*>(.*?)<', page)
                raise RuntimeError(f"the reply returned {statuses}: {errors or page[:500]}")
            if run:  # the first is the warm-up
                times.append(elapsed)
                growths.append(rss.growth_mb)
                anon.append(rss.anon_growth_mb)
    # Leave the case as it was: the replies and their files go.
    added = Message.objects.filter(case_id=case_id).exclude(pk__in=before)
    stored = Attachment.objects.filter(message__in=added)
    sizes = [a.size for a in stored]
    for attachment in stored:
        attachment.file.delete(save=False)
    added.delete()
    summary = stats(times)
    result = {
        "files": 3,
        "file_mb": megabytes,
        "stored_bytes": sum(sizes) // max(1, repeat + 1),
        **{f"{k}_ms": v * 1000 for k, v in summary.items()},
        "rss_growth_mb": max(growths),
        "anon_rss_growth_mb": max(anon),
    }
    print(
        f"  reply 3 x {megabytes} MB: median {result['median_ms']:.0f} ms, RSS growth "
        f"{result['rss_growth_mb']:.1f} MB (anon {result['anon_rss_growth_mb']:.1f})"
    )
    return result
