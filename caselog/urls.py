"""The URL map. Seller pages live under /cases/; the case page is where the
`cases` and `correspondence` apps meet, so both contribute to the `cases:` names.

Every seller page is wrapped in `seller_page` (members of seller accounts only;
staff are sent to the admin): tests/security/test_access_matrix.py fails on a
page outside the admin and the login views that is not."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from caselog import views as caselog_views
from caselog.seller_pages import seller_page
from cases import views as case_views
from correspondence import views as correspondence_views

case_patterns = [
    path("", seller_page(case_views.case_list), name="list"),
    path("export.csv", seller_page(case_views.case_export), name="export"),
    path("help/", seller_page(case_views.case_help), name="help"),
    path("new/", seller_page(correspondence_views.case_new), name="new"),
    path("similar/", seller_page(correspondence_views.case_similar), name="similar"),
    path("<int:case_id>/", seller_page(correspondence_views.case_detail), name="detail"),
    path("<int:case_id>/edit/", seller_page(case_views.case_edit), name="edit"),
    path("<int:case_id>/reply/", seller_page(correspondence_views.case_reply), name="reply"),
    path("<int:case_id>/resolve/", seller_page(correspondence_views.case_resolve), name="resolve"),
    path(
        "<int:case_id>/not-solved/",
        seller_page(correspondence_views.case_not_solved),
        name="not_solved",
    ),
    path(
        "<int:case_id>/keep-open/",
        seller_page(correspondence_views.case_keep_open),
        name="keep_open",
    ),
    path(
        "<int:case_id>/escalate/", seller_page(correspondence_views.case_escalate), name="escalate"
    ),
]

urlpatterns = [
    path("", login_not_required(RedirectView.as_view(pattern_name="cases:list"))),
    path("cases/", include((case_patterns, "cases"))),
    path("team/", seller_page(case_views.team_index), name="team_index"),
    path("team/<int:account_id>/", seller_page(case_views.team_detail), name="team"),
    path(
        "attachments/<str:token>/",
        seller_page(correspondence_views.attachment_download),
        name="attachment",
    ),
    path("accounts/profile/", case_views.profile, name="profile"),
    path("accounts/", include("caselog.account_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", caselog_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
]
