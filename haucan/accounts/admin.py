from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haucan.accounts import security
from haucan.accounts.models import Assignment, User


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(User)
class HaucanUserAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Hậu Cần Số", {"fields": ("full_name", "rank", "position", "phone")}),
    )
    list_display = ("username", "full_name", "is_active", "is_superuser", "last_login")
    search_fields = ("username", "full_name", "email")
    inlines = [AssignmentInline]
    actions = ["unlock_sign_in", "end_sessions", "reset_two_step"]

    # Each action is a service call (scope-checked, audited in the hash chain).
    @admin.action(description=gettext_lazy("Unlock sign-in (after too many failures)"))
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            security.unlock(request.scope, username=user.username)  # type: ignore[attr-defined]
        self.message_user(request, _("Sign-in unlocked."), messages.SUCCESS)

    @admin.action(description=gettext_lazy("End all sessions"))
    def end_sessions(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            security.revoke_sessions(request.scope, user)  # type: ignore[attr-defined]
        self.message_user(request, _("All their sessions have ended."), messages.SUCCESS)

    @admin.action(description=gettext_lazy("Reset two-step sign-in (lost phone)"))
    def reset_two_step(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            security.reset_mfa(request.scope, user)  # type: ignore[attr-defined]
        self.message_user(request, _("Two-step sign-in reset."), messages.SUCCESS)


@admin.register(AccessAttempt)
class LockoutAdmin(admin.ModelAdmin):
    """Failed sign-in attempts (django-axes), read-only: lifting a lockout goes through the
    audited action, never a bare delete (AXES_ENABLE_ADMIN is off for that reason)."""

    list_display = ("username", "ip_address", "failures_since_start", "attempt_time")
    search_fields = ("username", "ip_address")
    readonly_fields = [f.name for f in AccessAttempt._meta.fields]
    actions = ["unlock"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Unlock this user name and address"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        for attempt in queryset:
            security.unlock(
                request.scope,  # type: ignore[attr-defined]
                username=attempt.username or "",
                ip=attempt.ip_address or "",
            )
        self.message_user(request, _("Sign-in unlocked."), messages.SUCCESS)
