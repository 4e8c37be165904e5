"""The case page as the agent's workspace: the reply form with its saved
replies (sent or, when the case changed since the page was shown, held with
what changed), "Send and next", and internal notes. The case page's buttons are
in `actions.py`; the thread and history inlines in `inlines.py`."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.access import get_case_for_support
from cases.models import Case, CaseEvent
from cases.preferences import recipient_language
from cases.services import CaseStateError
from correspondence.admin.actions import CaseActionsMixin
from correspondence.admin.queue import CaseQueueMixin
from correspondence.forms import NoteForm, SupportReplyForm, reply_post
from correspondence.models import Message, SavedReply
from correspondence.selectors import case_changes_since
from correspondence.services import (
    CaseChangedError,
    DuplicateSubmissionError,
    case_note_add,
    uploads_hold,
    uploads_release,
)


class CaseWorkspaceMixin(CaseQueueMixin, CaseActionsMixin):
    """The case page, its reply and its notes; composed into `CaseAdmin`."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        can_act = self.has_act_permission(request)
        context = {"can_act": can_act, "events": CaseEvent, "reply_form": None}
        if can_act:
            case = get_case_for_support(request.user, object_id)
            saved = self._saved_replies(request, case)
            # `?saved=<id>`: the form starts with that saved reply (a plain link).
            picked = self._typed_with_saved(QueryDict(request.GET.urlencode()), saved)
            context.update(
                reply_form=self._reply_form(case, {"body": picked["body"]}),
                saved_replies=saved,
                saved_texts={str(reply.pk): text for reply, text in saved},
                changelist_filters=request.GET.get("_changelist_filters", ""),
            )
        extra_context = {**(extra_context or {}), **context}
        return super().change_view(request, object_id, form_url, extra_context)

    def reply_view(self, request, case_id: int) -> HttpResponse:
        """The reply form's target (it sits on the case page): send the reply, or
        show the form again (an error, a saved reply picked without JavaScript, or
        the case changed since the page was shown) with what was typed."""
        case = self._case_or_404(request, case_id)
        saved = self._saved_replies(request, case)
        form = SupportReplyForm(request.POST or None, request.FILES or None)
        changes = held_names = None
        if request.method != "POST":
            form = self._reply_form(case)
        elif "use_saved" in request.POST:
            form = self._reply_form(case, self._typed_with_saved(request.POST, saved))
        elif form.is_valid():
            next_id = self._next_case_id(request, case) if "_next" in request.POST else None
            try:
                sent = self._post_reply(request, case, form)
            except CaseChangedError as changed:
                # Nothing was sent: show what changed; the text and files wait here.
                changes = case_changes_since(changed.case, form.cleaned_data["opened_at"])
                files = form.cleaned_data["attachments"]
                held_names = [upload.name for upload in files]
                typed = {**form.cleaned_data, "held": uploads_hold(files) if files else ""}
                uploads_release(form.race_files)
                form = self._reply_form(changed.case, typed)
            else:
                if sent:
                    uploads_release(form.race_files)
                    return self._after_reply(request, case, next_id, "_next" in request.POST)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reply to case %(id)s") % {"id": case.pk},
            "opts": self.model._meta,
            "original": case,
            "reply_form": form,
            "saved_replies": saved,
            "changes": changes,
            "held_names": held_names or form.held_names,
            "changelist_filters": request.POST.get("_changelist_filters", ""),
        }
        return TemplateResponse(request, "admin/cases/case/reply.html", context)

    def _reply_form(self, case: Case, typed: dict | None = None) -> SupportReplyForm:
        """A fresh reply form for the case as it is now (its `version`), holding
        what was typed."""
        initial = {key: value for key, value in (typed or {}).items() if key != "attachments"}
        initial.update(version=case.version, opened_at=timezone.now().isoformat())
        return SupportReplyForm(initial=initial)

    @staticmethod
    def _typed_with_saved(data, saved: list[tuple[SavedReply, str]]) -> dict:
        """The typed fields, the picked saved reply added after the typed text."""
        typed = data.dict()
        text = next((text for reply, text in saved if str(reply.pk) == data.get("saved")), "")
        body = typed.get("body", "")
        typed["body"] = f"{body}\n\n{text}" if body.strip() and text else body + text
        return typed

    def _after_reply(self, request, case: Case, next_id: int | None, wants_next: bool):
        """The case page again, or with "Send and next" the next case of the list the
        agent came from (the same filters), or that list when none is left."""
        filters = request.POST.get("_changelist_filters", "")
        query = f"?{urlencode({'_changelist_filters': filters})}" if filters else ""
        if not wants_next:
            return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]) + query)
        if next_id is None:
            self.message_user(request, _("No other case is left in this list."), messages.INFO)
            list_url = reverse("admin:cases_case_changelist")
            return HttpResponseRedirect(f"{list_url}?{filters}" if filters else list_url)
        return HttpResponseRedirect(reverse("admin:cases_case_change", args=[next_id]) + query)

    def _post_reply(self, request, case: Case, form) -> bool:
        """Send the reply; False if the form gets an error. CaseChangedError passes."""
        try:
            reply_post(
                form, case=case, author=request.user, direction=Message.Direction.FROM_SUPPORT
            )
        except DuplicateSubmissionError:
            self.message_user(request, _("This reply was already sent."), messages.INFO)
        except ValidationError as error:
            form.add_error(None, error)
            return False
        except CaseStateError as error:
            form.add_error(None, error.message)
            return False
        else:
            self.message_user(request, _("Your reply was sent to the seller."), messages.SUCCESS)
        return True

    def _saved_replies(self, request, case: Case) -> list[tuple[SavedReply, str]]:
        """The saved replies an agent may start from, each with its text for this
        case: in the case owner's language, placeholders filled in."""
        if not request.user.has_perm("correspondence.view_savedreply"):
            return []
        language = recipient_language(case.primary_email)
        agent_name = request.user.get_full_name() or request.user.email
        fill = {"case_id": case.pk, "seller_email": case.primary_email, "agent_name": agent_name}
        return [(reply, reply.text_for(language, **fill)) for reply in SavedReply.objects.all()]

    def note_view(self, request, case_id: int) -> HttpResponse:
        """An internal note: agents only; the seller never sees it."""
        case = self._case_or_404(request, case_id)
        form = NoteForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid() and self._post_note(request, case, form):
            return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Internal note on case %(id)s") % {"id": case.pk},
            "opts": self.model._meta,
            "original": case,
            "form": form,
        }
        return TemplateResponse(request, "admin/cases/case/note.html", context)

    def _post_note(self, request, case: Case, form: NoteForm) -> bool:
        data = form.cleaned_data
        try:
            case_note_add(
                case=case,
                author=request.user,
                body=data["body"],
                files=data["attachments"],
                client_token=form.client_token,
            )
        except DuplicateSubmissionError:
            self.message_user(request, _("This note was already added."), messages.INFO)
        except ValidationError as error:
            form.add_error(None, error)
            return False
        else:
            self.message_user(request, _("Your internal note was added."), messages.SUCCESS)
        return True
