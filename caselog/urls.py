"""The URL map. Seller pages live under /cases/; the case page is where the
`cases` and `correspondence` apps meet, so both contribute to the `cases:` names."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from caselog import views as caselog_views
from cases import team as team_views
from cases import views as case_views
from correspondence import views as correspondence_views

case_patterns = [
    path("", case_views.case_list, name="list"),
    path("export.csv", case_views.case_export, name="export"),
    path("help/", case_views.case_help, name="help"),
    path("new/", correspondence_views.case_new, name="new"),
    path("similar/", correspondence_views.case_similar, name="similar"),
    path("<int:case_id>/", correspondence_views.case_detail, name="detail"),
    path("<int:case_id>/edit/", case_views.case_edit, name="edit"),
    path("<int:case_id>/reply/", correspondence_views.case_reply, name="reply"),
    path("<int:case_id>/resolve/", correspondence_views.case_resolve, name="resolve"),
    path("<int:case_id>/not-solved/", correspondence_views.case_not_solved, name="not_solved"),
    path("<int:case_id>/keep-open/", correspondence_views.case_keep_open, name="keep_open"),
    path("<int:case_id>/escalate/", correspondence_views.case_escalate, name="escalate"),
]

urlpatterns = [
    path("", login_not_required(RedirectView.as_view(pattern_name="cases:list"))),
    path("cases/", include((case_patterns, "cases"))),
    path("team/", team_views.team_index, name="team_index"),
    path("team/<int:account_id>/", team_views.team_detail, name="team"),
    path(
        "attachments/<str:token>/",
        correspondence_views.attachment_download,
        name="attachment",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", caselog_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
]
