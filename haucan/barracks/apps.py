from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BarracksConfig(AppConfig):
    name = "haucan.barracks"
    label = "barracks"
    verbose_name = _("Barracks")
