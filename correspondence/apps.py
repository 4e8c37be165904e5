from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CorrespondenceConfig(AppConfig):
    name = "correspondence"
    verbose_name = _("Correspondence")

    def ready(self) -> None:
        # The case services name the e-mails a write causes (`cases.notices`);
        # this app writes them. Registered here so `cases` imports nothing of ours.
        from cases.notices import register_composer  # noqa: PLC0415
        from correspondence.notifications import compose_case_notice  # noqa: PLC0415

        register_composer(compose_case_notice)
