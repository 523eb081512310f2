"""Users and their roles at units. A role at a unit covers that unit's whole subtree."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from haucan.core.scope import DOMAIN_CHOICES, Domain
from haucan.org.models import Unit


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    rank = models.CharField(_("rank"), max_length=60, blank=True)
    position = models.CharField(_("position"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # Raised by "end all sessions": every session signed with the old value stops being valid.
    session_generation = models.PositiveIntegerField(
        _("session generation"), default=0, editable=False
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django stores this hash in each session and compares it on every request (a password
        # change logs the user out everywhere); mixing in the generation lets an administrator
        # end every session of one user the same way, on any database or session backend.
        return salted_hmac(
            "haucan.accounts.User.session_auth_hash",
            f"{self.password}|{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SPECIALIST = "specialist", _("Department specialist")
    COMMANDER = "commander", _("Commander")
    VIEWER = "viewer", _("Viewer")
    CLERK = "clerk", _("Unit logistics clerk")
    APPROVER = "approver", _("Approver")


class Assignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("role"), max_length=20, choices=Role)
    domain = models.CharField(
        _("domain"), max_length=20, choices=DOMAIN_CHOICES, default=Domain.GENERAL
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit", "role", "domain"], name="assignment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.unit}"


class ApiToken(models.Model):
    """A personal API token (`Authorization: ApiToken hcs_…`), stored as its SHA-256 only.

    It may expire, be narrowed to one unit's subtree and be read-only; `haucan.accounts.tokens`
    explains how the narrowed scope is computed.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the plaintext, so the owner can tell tokens apart in the list.
    prefix = models.CharField(max_length=12, editable=False)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("limited to unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    read_only = models.BooleanField(_("read only"), default=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
