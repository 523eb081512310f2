from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MedicalConfig(AppConfig):
    name = "haucan.medical"
    label = "medical"
    verbose_name = _("Military medicine")
