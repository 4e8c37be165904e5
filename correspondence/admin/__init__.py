"""The agent's pages in the admin, one room a module (the README's Layout table
says which holds what); `CaseAdmin` (`case.py`) is composed of them.

The case page lives here, not in `cases/admin.py`, because it is where the two
apps meet (as the seller's case page does, in `correspondence/views.py`):
`correspondence` builds on `cases`, never the reverse, so the page that needs
both is composed on this side. The pieces that need only cases (the history
inline, the list filters, the transfer and clear-escalation forms) come from
`cases`; every write goes through the services of either app.

This module registers them (the admin imports it at start-up).
"""

from django.contrib import admin

from cases.models import Case
from correspondence.admin.case import CaseAdmin
from correspondence.admin.files import AttachmentAdmin
from correspondence.admin.saved_replies import SavedReplyAdmin
from correspondence.models import Attachment, SavedReply

admin.site.register(Attachment, AttachmentAdmin)
admin.site.register(SavedReply, SavedReplyAdmin)
admin.site.register(Case, CaseAdmin)
