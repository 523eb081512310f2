from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "haucan.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from haucan.accounts.middleware import mark_seen

        # Session plumbing, not business logic: every sign-in (the login page, the Django
        # admin's, a test's force_login) starts the idle clock, so later requests need not save
        # the session just to record it.
        user_logged_in.connect(
            lambda sender, request, user, **kwargs: mark_seen(request) if request else None,
            dispatch_uid="haucan.accounts.mark_seen",
            weak=False,
        )
