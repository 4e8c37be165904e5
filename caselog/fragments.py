"""Jinja2 for the few fragments a page repeats hundreds of times (the log's rows,
the case page's thread and file table), where Django's template engine was most
of the page's time (~0.1 ms a row; 40 ms for 900 files).

The fragments are templates in `templates/fragments/*.jinja`, with autoescaping
on: every value is escaped unless it is already HTML (`__html__`: a Django
SafeString such as a rendered template, or `linebreaks`' output). They hold no
translatable text: the views' modules translate (so makemessages finds the
strings) and pass the texts in. Each fragment has a Django template beside the
page's templates that renders the same markup, and a golden test compares them.
"""

from __future__ import annotations

import html
import re
from typing import Any

from django.conf import settings
from django.template.defaultfilters import linebreaks_filter
from django.utils.safestring import SafeString, mark_safe
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

environment = Environment(
    loader=FileSystemLoader(settings.BASE_DIR / "templates" / "fragments"),
    autoescape=True,
    undefined=StrictUndefined,  # a misspelt name fails, it does not render empty
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=settings.DEBUG,
)
_NEWLINES = re.compile(r"\r\n|\r")
_PARAGRAPHS = re.compile("\n{2,}")


def linebreaks(text: Any) -> Any:
    """Django's `|linebreaks` (each paragraph escaped, then marked up), the same
    text as `linebreaks_filter(text, autoescape=True)` without its lazy-text
    wrappers: a third of the thread's rendering for 300 messages. Text already
    HTML goes through Django's filter (which does not escape it)."""
    if hasattr(text, "__html__"):
        return linebreaks_filter(text, autoescape=True)
    paragraphs = _PARAGRAPHS.split(_NEWLINES.sub("\n", str(text)))
    # Reviewed: every paragraph is escaped here, as django.utils.html.linebreaks does.
    return Markup(  # noqa: S704
        "\n\n".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    )


environment.filters["linebreaks"] = linebreaks


def render_fragment(name: str, **context: Any) -> SafeString:
    """The fragment `name`, rendered; safe to put in a Django template as it is."""
    # Reviewed mark_safe: the output of an autoescaping template, exactly as Django's
    # render_to_string marks its own. Nothing else in the project marks HTML safe
    # (but `linebreaks` above, whose paragraphs are escaped one by one).
    return mark_safe(environment.get_template(name).render(context))


def fragment_macros(name: str) -> Any:
    """The macros of the fragment `name`, as functions returning escaped HTML."""
    return environment.get_template(name).module
