"""The case log's filters and sort, as a django-filter FilterSet (the chips and
sort controls drawn from it are `cases.log_controls`).

The GET parameters are a documented, stable contract (docs/contract.md):
q, state (repeatable), created_from, created_to, email, mine, cc, opened_by_me,
o, per_page. What the log does with each (a filter or not, folded behind the
"Filters" control, free text) is declared once, in `PARAMS`.
A malformed value becomes a form error and is ignored; it never fails the page.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cases.access import Viewer
from cases.models import CLOSED, WAITING_ON_SUPPORT, Case, CaseState, copied_q, owned_by_q
from cases.search import filter_cases

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = PAGE_SIZES[0]
DEFAULT_ORDERING = "-created"

# Public name in `o` → model field, in column order.
SORT_FIELDS = {
    "created": "created_at",
    "id": "id",
    # By urgency (cases.models.STATE_URGENCY), the same in every language.
    "state": "state_rank",
    "email": "primary_email",
    "description": "short_description",
    "activity": "last_activity_at",
}

_PAGE_SIZE_VALUES = frozenset(str(size) for size in PAGE_SIZES)


class PageSizeSelect(forms.Select):
    """The page-size select marks the size in effect: DEFAULT_PAGE_SIZE when the URL
    has none (the default view) or a malformed one (reported and ignored), as
    `CaseFilter.page_size` reads it; a select with no selected option is announced
    blank by screen readers and flagged by accessibility checkers."""

    def format_value(self, value: Any) -> list[str]:
        values = super().format_value(value)
        if _PAGE_SIZE_VALUES.intersection(values):
            return values
        return [str(DEFAULT_PAGE_SIZE)]


@dataclass(frozen=True)
class Param:
    """What the log does with one of its parameters (one line each in `PARAMS`).

    - `narrows`: a filter. Any active one includes expired cases (the default view
      hides them); sort and page size do not narrow.
    - `folded`: a field of the "Filters" panel (`cases/_filter_fields.html`). A
      folded filter that is active shows as a chip that removes it, and the
      control counts it (the search box stays in view: it is neither).
    - `free_text`: takes any value; the panel is then rendered afresh, not cached
      (`CaseFilter.panel_key`).
    """

    narrows: bool
    folded: bool
    free_text: bool = False

    @property
    def chip(self) -> bool:
        return self.narrows and self.folded


# Every parameter of CaseFilter, in its declaration order (the chips' order).
PARAMS = {
    "q": Param(narrows=True, folded=False, free_text=True),
    "state": Param(narrows=True, folded=True),
    "created_from": Param(narrows=True, folded=True, free_text=True),
    "created_to": Param(narrows=True, folded=True, free_text=True),
    "email": Param(narrows=True, folded=True, free_text=True),
    "mine": Param(narrows=True, folded=True),
    "cc": Param(narrows=True, folded=True),
    "opened_by_me": Param(narrows=True, folded=True),
    "o": Param(narrows=False, folded=False),
    "per_page": Param(narrows=False, folded=True),
}
NARROWING = tuple(name for name, param in PARAMS.items() if param.narrows)


# One-click views of the log; each is only a state filter (so it includes
# matching expired cases, like any filter).
PRESETS: list[tuple[str, Any, tuple[str, ...]]] = [
    ("attention", _("Needs your attention"), (CaseState.NEEDS_ATTENTION,)),
    ("waiting", _("Waiting on support"), tuple(WAITING_ON_SUPPORT)),
    ("resolved", _("Resolved"), CLOSED),
]


@dataclass(frozen=True)
class Preset:
    label: str
    query: str
    active: bool


class IsoDateInput(forms.DateInput):
    """A date picker that never echoes a malformed value: `<input type=date>` may only
    hold YYYY-MM-DD (the Nu checker rejects anything else; browsers blank it anyway)."""

    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, str):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                return None
        return super().format_value(value)


# Within one state, the case that has waited longest (least recent activity)
# comes first: the urgency sort puts what to look at first on top.
THEN_BY = {"state_rank": "last_activity_at"}


class StableOrderingFilter(django_filters.OrderingFilter):
    """Orders by the chosen column (and its THEN_BY), then by case ID, so pages
    never overlap."""

    def filter(self, qs: QuerySet[Case], value: list[str] | None) -> QuerySet[Case]:
        terms = [term for term in (value or []) if term] or [DEFAULT_ORDERING]
        terms = terms[:1]  # one sort column; the id tie-breaker follows it
        descending = terms[0].startswith("-")
        ordering = [self.get_ordering_value(terms[0])]
        if then := THEN_BY.get(ordering[0].lstrip("-")):
            ordering.append(f"-{then}" if descending else then)
        if ordering[0].lstrip("-") != "id":
            ordering.append("-id" if descending else "id")
        return qs.order_by(*ordering)


# Dates outside this range bound nothing (no case is that old or that new) and
# would overflow the time-zone conversion at the ends of the calendar.
_EARLIEST, _LATEST = dt.date(1900, 1, 1), dt.date(9000, 1, 1)


def _start_of_day(day: dt.date) -> dt.datetime | None:
    if not _EARLIEST <= day <= _LATEST:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control",
                "placeholder": _("Case ID, description or message text"),
            }
        ),
    )
    state = django_filters.MultipleChoiceFilter(
        label=_("State"),
        choices=CaseState.choices,
        # No join can duplicate a row here; DISTINCT would only slow the count.
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    created_from = django_filters.DateFilter(
        label=_("Created from"),
        method="filter_created_from",
        widget=IsoDateInput(),
    )
    created_to = django_filters.DateFilter(
        label=_("Created to"),
        method="filter_created_to",
        widget=IsoDateInput(),
    )
    email = django_filters.ChoiceFilter(
        label=_("Primary e-mail"),
        field_name="primary_email",
        empty_label=_("Anyone"),
        choices=[],
    )
    mine = django_filters.BooleanFilter(
        label=_("Only my cases"),
        method="filter_mine",
        widget=forms.CheckboxInput(attrs={"value": "1"}),
    )
    cc = django_filters.BooleanFilter(
        label=_("Cases where I am copied"),
        method="filter_cc",
        widget=forms.CheckboxInput(attrs={"value": "1"}),
    )
    opened_by_me = django_filters.BooleanFilter(
        label=_("Opened by me"),
        method="filter_opened_by_me",
        widget=forms.CheckboxInput(attrs={"value": "1"}),
    )
    o = StableOrderingFilter(label=_("Sort"), fields=[(f, n) for n, f in SORT_FIELDS.items()])
    per_page = django_filters.TypedChoiceFilter(
        label=_("Cases per page"),
        method="filter_nothing",
        choices=[(str(size), str(size)) for size in PAGE_SIZES],
        coerce=int,
        widget=PageSizeSelect,
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.filters["email"].extra["choices"] = [(e, e) for e in viewer.member_emails]
        # django-filter runs filters in declaration order; sort last.
        self.filters["o"] = self.filters.pop("o")

    def filter_q(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        if not value.strip():
            return queryset
        # Case ID, description and messages: one definition of a match, in
        # `cases.search`; `queryset` holds only the user's visible cases.
        return filter_cases(queryset, value, account_ids=self.viewer.account_ids)

    def filter_created_from(
        self, queryset: QuerySet[Case], name: str, value: dt.date
    ) -> QuerySet[Case]:
        start = _start_of_day(value)
        return queryset if start is None else queryset.filter(created_at__gte=start)

    def filter_created_to(
        self, queryset: QuerySet[Case], name: str, value: dt.date
    ) -> QuerySet[Case]:
        # The "to" day is included: everything before the start of the next day.
        end = _start_of_day(value + dt.timedelta(days=1)) if value < dt.date.max else None
        return queryset if end is None else queryset.filter(created_at__lt=end)

    def filter_mine(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        return queryset.filter(owned_by_q(self.viewer.email)) if value else queryset

    def filter_cc(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        return queryset.filter(copied_q(self.viewer.email)) if value else queryset

    def filter_opened_by_me(
        self, queryset: QuerySet[Case], name: str, value: bool
    ) -> QuerySet[Case]:
        return queryset.filter(opened_by_id=self.viewer.user_id) if value else queryset

    def filter_nothing(self, queryset: QuerySet[Case], name: str, value: Any) -> QuerySet[Case]:
        return queryset

    # --- reading the validated parameters ------------------------------

    def _cleaned(self) -> dict[str, Any]:
        self.form.is_valid()
        return getattr(self.form, "cleaned_data", {})

    @property
    def is_narrowed(self) -> bool:
        """True when a filter or search is active (so expired cases are included)."""
        cleaned = self._cleaned()
        return any(cleaned.get(name) not in (None, "", [], False) for name in NARROWING)

    def presets(self) -> list[Preset]:
        cleaned = self._cleaned()
        states = set(cleaned.get("state") or [])
        others = any(cleaned.get(n) not in (None, "", [], False) for n in NARROWING if n != "state")
        presets = [Preset(str(_("Current cases")), "", not self.is_narrowed)]
        for _key, label, preset_states in PRESETS:
            query = "&".join(f"state={state}" for state in preset_states)
            presets.append(Preset(str(label), query, not others and states == set(preset_states)))
        return presets

    @property
    def search_text_alone(self) -> str:
        """The search text when it is the only filter narrowing the log, else ""."""
        cleaned = self._cleaned()
        if any(cleaned.get(n) not in (None, "", [], False) for n in NARROWING if n != "q"):
            return ""
        return cleaned.get("q") or ""

    @cached_property
    def panel_key(self) -> str:
        """The key the folded filter fields' HTML is cached under, or "" when it is
        rendered afresh.

        Crispy renders those 8 fields in ~3 ms, a third of the log page's Python
        time; the page caches their HTML (`{% cache %}`) under everything it
        depends on: the language, the values asked for, the e-mail choices (the
        viewer's colleagues). Equal keys must mean equal HTML. Only the panels a
        person can set are cached: each field's values among the few its panel
        shows (`_panel_values`), the form valid. Dates, an e-mail, an odd value
        (`mine=x`) or an error are rendered afresh, so that requests cannot fill
        the shared cache with one entry each: the keys are a fixed set.
        """
        form = self.form
        if not form.is_valid():
            return ""
        asked = []
        for name in (name for name, param in PARAMS.items() if param.folded):
            values = _panel_values(form, name)
            if values is None:
                return ""
            asked.append((name, values))
        return json.dumps([translation.get_language(), asked, self.viewer.member_emails])

    @property
    def page_size(self) -> int:
        return self._cleaned().get("per_page") or DEFAULT_PAGE_SIZE

    @property
    def ordering(self) -> str:
        terms = self._cleaned().get("o") or []
        return terms[0] if terms and terms[0] else DEFAULT_ORDERING


def _panel_values(form: forms.Form, name: str) -> list[str] | None:
    """The values of panel field `name` asked for, as a fixed set allows them (sorted,
    once each: the widgets show the same either way), or None when a value is not
    one the panel offers: free text (a date, an e-mail), a value outside the field's
    choices (a state, a page size) or its check box's value ("1"), or two values
    for a field of one."""
    values = sorted(set(_asked(form.data, name)))
    offered = {""}  # a field left blank (the "Apply" button sends every field)
    field = form.fields[name]
    if not PARAMS[name].free_text and isinstance(field.widget, forms.CheckboxInput):
        offered.add(str(field.widget.attrs["value"]))
    elif not PARAMS[name].free_text:
        offered.update(str(value) for value, _label in getattr(field, "choices", ()))
    multiple = isinstance(field, forms.MultipleChoiceField)
    if not set(values) <= offered or (len(values) > 1 and not multiple):
        return None
    return values


def _asked(data: Any, name: str) -> list[str]:
    """The values of parameter `name` in a form's data (a QueryDict, or a dict)."""
    if hasattr(data, "getlist"):
        return data.getlist(name)
    value = data.get(name)
    return [] if value is None else value if isinstance(value, list) else [value]
