from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetroleumConfig(AppConfig):
    name = "haucan.petroleum"
    label = "petroleum"
    verbose_name = _("Petroleum")

    def ready(self) -> None:
        from haucan.petroleum import reports

        reports.register()
