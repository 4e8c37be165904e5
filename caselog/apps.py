from django.contrib.admin.apps import AdminConfig


class CaselogAdminConfig(AdminConfig):
    """Django's admin with the project's site (see `caselog.admin_site`)."""

    default_site = "caselog.admin_site.CaselogAdminSite"
