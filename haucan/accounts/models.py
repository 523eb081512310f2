"""Users and their roles at units. A role at a unit covers that unit's whole subtree."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from haucan.core.scope import DOMAIN_CHOICES, Domain
from haucan.org.models import Unit


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    rank = models.CharField(_("rank"), max_length=60, blank=True)
    position = models.CharField(_("position"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


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
