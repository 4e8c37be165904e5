"""The case log's controls drawn from its FilterSet (`cases.filters`): the chips
of the active folded filters, each with the URL that removes it, and the sort
(the table's column headers and the phone's list of orders)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.translation import gettext_lazy as _

from cases.filters import PARAMS, SORT_FIELDS, CaseFilter
from cases.models import CaseState


@dataclass(frozen=True)
class Chip:
    """An active filter behind the "Filters" control, with the URL that removes it."""

    label: str
    remove_query: str


def _chip_text(label: Any, value: Any) -> str:
    # A translation, so that French puts its non-breaking space before the colon.
    return _("%(filter)s: %(value)s") % {"filter": label, "value": value}


def filter_chips(filterset: CaseFilter, params: Any) -> list[Chip]:
    """One chip per active folded filter (`Param.chip`; one per chosen state), in form order.
    Removing one keeps every other parameter, sort and page size included, and
    goes back to the first page."""
    cleaned = filterset._cleaned()
    labels = dict(CaseState.choices)
    chips = []

    def without(name: str, value: str | None = None) -> str:
        query = params.copy()
        query.pop("page", None)
        if value is None:
            query.pop(name, None)
        else:
            query.setlist(name, [v for v in query.getlist(name) if v != value])
        return query.urlencode()

    for name in (name for name, param in PARAMS.items() if param.chip):
        value = cleaned.get(name)
        if value in (None, "", [], False):
            continue
        field = filterset.form.fields[name]
        if name == "state":
            chips += [
                Chip(_chip_text(field.label, labels[state]), without(name, state))
                for state in value
            ]
        elif isinstance(value, bool):
            chips.append(Chip(str(field.label), without(name)))
        else:
            shown = (
                formats.date_format(value, "SHORT_DATE_FORMAT")
                if isinstance(value, dt.date)
                else value
            )
            chips.append(Chip(_chip_text(field.label, shown), without(name)))
    return chips


@dataclass(frozen=True)
class SortColumn:
    key: str
    label: str
    aria_sort: str  # "ascending" / "descending" / "none"
    next_value: str  # the `o` a click on the header sets


def _sort_labels() -> dict[str, Any]:
    return {
        "created": _("Creation date"),
        "id": _("Case ID"),
        "state": _("State"),
        "email": _("Primary e-mail"),
        "description": _("Short description"),
        "activity": _("Last activity"),
    }


def _first_order(key: str) -> str:
    """The `o` a first click on a column sets: dates read newest first; text
    columns A→Z; states most urgent first."""
    return f"-{key}" if key in ("created", "activity") else key


def sort_columns(ordering: str) -> list[SortColumn]:
    labels = _sort_labels()
    current = ordering.lstrip("-")
    descending = ordering.startswith("-")
    columns = []
    for key in SORT_FIELDS:
        if key == current:
            aria = "descending" if descending else "ascending"
            next_value = key if descending else f"-{key}"
        else:
            aria = "none"
            next_value = _first_order(key)
        columns.append(SortColumn(key, str(labels[key]), aria, next_value))
    return columns


@dataclass(frozen=True)
class SortChoice:
    value: str  # an `o` value
    label: str
    selected: bool


# How each column reads in each direction: (ascending, descending).
_SORT_DIRECTIONS = {
    "created": (_("oldest first"), _("newest first")),
    "id": (_("lowest first"), _("highest first")),
    "state": (_("most urgent first"), _("least urgent first")),
    "email": (_("A to Z"), _("Z to A")),
    "description": (_("A to Z"), _("Z to A")),
    "activity": (_("oldest first"), _("newest first")),
}


def sort_choices(ordering: str) -> list[SortChoice]:
    """The log's sort orders as one list (the phone's sort control): each column in
    the direction a click on its header sets first, then the other."""
    labels = _sort_labels()
    choices = []
    for key in SORT_FIELDS:
        first = _first_order(key)
        second = key if first.startswith("-") else f"-{key}"
        for value in (first, second):
            ascending, descending = _SORT_DIRECTIONS[key]
            direction = descending if value.startswith("-") else ascending
            label = _("%(column)s, %(direction)s") % {
                "column": labels[key],
                "direction": direction,
            }
            choices.append(SortChoice(value, label, value == ordering))
    return choices
