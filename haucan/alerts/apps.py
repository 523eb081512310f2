from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "haucan.alerts"
    label = "alerts"
    verbose_name = _("Automatic warnings")

    def ready(self) -> None:
        from haucan.alerts.tasks import on_arrivals
        from haucan.core import arrivals

        arrivals.listen(on_arrivals)
