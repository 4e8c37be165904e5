"""What the database and the disk hold after a run, as JSON, to compare with what was sent.

Messages per one-time submission token (a token saved twice is a duplicate),
attachment rows per token, and the files under MEDIA_ROOT against the rows.
"""

import json
from collections import Counter
from pathlib import Path

from django.conf import settings

from correspondence.models import Attachment, Message

tokens = Message.objects.exclude(client_token=None).values_list("client_token", flat=True)
per_token = Counter(tokens)
rows = {a.file.name: a.message.client_token for a in Attachment.objects.select_related("message")}
root = Path(settings.MEDIA_ROOT)
on_disk = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
print(
    json.dumps(
        {
            "messages": Message.objects.count(),
            "per_token": per_token,
            "attachments_per_token": dict(Counter(rows.values())),
            "attachment_rows": len(rows),
            "files": len(on_disk),
            "orphans": sorted(on_disk - set(rows))[:20],
            "orphan_count": len(on_disk - set(rows)),
            "missing_count": len(set(rows) - on_disk),
        }
    )
)
