from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "haucan.core"
    label = "core"
    verbose_name = "Core"
