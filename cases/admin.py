"""The admin of the `cases` app: users, seller accounts, support teams, and the
pieces of the agent's case pages that need nothing but cases (the history inline,
the list filters, the list's rows).

The case pages themselves (`CaseAdmin`: the list, the case page, its actions,
the reply form, saved replies, the thread) are in `correspondence/admin/`
(`case.py` and the modules it composes): they show and write correspondence too,
and the case domain does not import it (the layering contract in pyproject.toml).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.display import links, moments
from cases.models import (
    Case,
    CaseHistory,
    CaseState,
    Membership,
    SellerAccount,
    SupportTeam,
    Turn,
    User,
    overdue_q,
    states_of_turn,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(SellerAccount)
class SellerAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(SupportTeam)
class SupportTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "response_target_hours"]
    search_fields = ["name"]


class CaseHistoryInline(admin.TabularInline):
    model = CaseHistory
    extra = 0
    can_delete = False
    fields = readonly_fields = ("changed_at", "actor", "field", "old_value", "new_value", "note")
    ordering = ["changed_at", "id"]

    def get_queryset(self, request):
        # Each row shows its actor: one join instead of a query per row.
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class TurnFilter(admin.SimpleListFilter):
    title = _("whose turn")
    parameter_name = "turn"

    def lookups(self, request, model_admin):
        # Said from the agent's side ("Your turn" is the seller's page).
        return [
            (Turn.SELLER, _("The seller's")),
            (Turn.SUPPORT, _("Support's")),
            (Turn.NOBODY, _("Nobody's")),
        ]

    def queryset(self, request, queryset):
        if (turn := self.value()) in Turn.values:
            states = states_of_turn(turn)
            return queryset.filter(state__in=states)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("response target")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("1", _("Overdue")), ("0", _("Within target"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(overdue_q())
        if self.value() == "0":
            return queryset.filter(waiting_since__isnull=False).exclude(overdue_q())
        return queryset


class EscalatedFilter(admin.SimpleListFilter):
    title = _("escalation")
    parameter_name = "escalated"

    def lookups(self, request, model_admin):
        return [("1", _("Escalated")), ("0", _("Not escalated"))]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(escalated_at__isnull=self.value() == "0")
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", _("Assigned to me")), ("none", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee_id=request.user.pk)
        if self.value() == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset


# --- the agents' case list: its rows -------------------------------------------


def waiting_text(case: Case) -> str:
    """Since when the seller has waited for Seller Support, or "—"."""
    if case.waiting_since is None:
        return "—"
    return formats.date_format(timezone.localtime(case.waiting_since), "SHORT_DATETIME_FORMAT")


def case_flags(case: Case) -> str:
    """What marks the case for an agent: escalated, answer not accepted; or "—"."""
    marks = []
    if case.is_escalated:
        marks.append(gettext("escalated"))
    if case.answer_not_accepted:
        marks.append(gettext("answer not accepted"))
    return ", ".join(marks) or "—"


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A row of the agents' case list (`admin/cases/case/change_list_results.html`),
    worked out once here rather than cell by cell through the admin's generic
    `items_for_result` (~60% of the page at 50 rows). What it shows of the case,
    beside `case` itself (id, description, team, assignee, account, e-mail):

    - `url`: its case page, carrying the list's filters ("Send and next" reads them);
    - `select_label`: the name of its action check box;
    - `state`; `waiting` (`waiting_text`) and `overdue` (`Case.is_overdue`);
    - `flags` (`case_flags`); `created`, `activity`: the dates as the admin shows them.
    """

    case: Case
    url: str
    select_label: str
    state: str
    waiting: str
    overdue: bool
    flags: str
    created: str
    activity: str


def queue_rows(cases: Iterable[Case], *, change_url: str) -> list[QueueRow]:
    """The rows of a page of the list. `change_url`: a case page's URL (with the
    list's filters) for the case id 0, filled per row; no query."""
    url = links(change_url)
    select = gettext("Select this object for an action - {}")  # the admin's own words
    # Each label translated once a page (`get_state_display` hashes every choice a call).
    states = {value: str(label) for value, label in CaseState.choices}
    moment = moments()  # the admin's date format is the site's one (caselog/formats)
    return [
        QueueRow(
            case=case,
            url=url(case.pk),
            select_label=select.format(case),
            state=states.get(case.state, case.state),
            waiting=waiting_text(case),
            overdue=case.is_overdue,
            flags=case_flags(case),
            created=moment(case.created_at).text,
            activity=moment(case.last_activity_at).text,
        )
        for case in cases
    ]
