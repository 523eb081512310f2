from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "haucan.alerts"
    label = "alerts"
    verbose_name = _("Automatic warnings")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from haucan.alerts.stamp import on_post_migrate
        from haucan.alerts.tasks import on_arrivals
        from haucan.core import arrivals

        arrivals.listen(on_arrivals)
        # After every migrate: SQLite drops a table's triggers when a migration rebuilds it.
        post_migrate.connect(on_post_migrate, sender=self)
