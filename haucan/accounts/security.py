"""Sign-in security: the audit of authentication events, two-factor devices, lockouts, sessions.

Everything here that changes state takes a Scope, runs in one transaction and records an audit
event in the hash chain (haucan.audit): every sign-in, failure, lockout, unlock, second-factor
change and session revocation can be traced afterwards.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import devices_for_user, verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from haucan.accounts.models import Assignment, Role, User
from haucan.audit import services as audit
from haucan.core.errors import PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Scope

# Roles whose holders must sign in with a second factor (issue 10 §1).
MFA_ROLES = frozenset({Role.ADMIN, Role.SPECIALIST, Role.APPROVER})
RECOVERY_CODES = 10


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the proxy's X-Forwarded-For when HAUCAN_TLS says a
    trusted reverse proxy stands in front (the right-most entry is the one it added)."""
    if getattr(settings, "HAUCAN_TLS", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))


def _actor(user: User | None, username: str = "") -> Scope:
    # The actor of an authentication event is the account concerned (or the name typed).
    if user is not None:
        return Scope(user_id=user.pk, username=user.username, unit_paths=frozenset())
    return Scope(user_id=None, username=(username or "anonymous")[:150], unit_paths=frozenset())


def record_auth_event(
    request: HttpRequest | None,
    action: str,
    *,
    user: User | None = None,
    username: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one authentication event (auth.*) to the audit chain, in its own transaction."""
    payload = dict(detail or {})
    if request is not None:
        payload.setdefault("ip", client_ip(request))
        payload.setdefault("path", request.path[:200])
    if username and user is None:
        payload.setdefault("username", username[:150])
    with transaction.atomic():
        audit.record(_actor(user, username), action, user, payload)


def mfa_required(user: User) -> bool:
    """Administrators, specialists and approvers must use a second factor."""
    if user.is_superuser:
        return True
    return Assignment.objects.filter(user=user, role__in=MFA_ROLES).exists()


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_totp(user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator (created on first use), shown as a QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def _new_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="recovery", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _i in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def confirm_totp(request: HttpRequest, user: User, token: str) -> list[str]:
    """Confirm the pending authenticator with a code from it; return fresh recovery codes.

    A wrong code is audited and counted by the device's throttle (both committed), then refused.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        raise ValidationFailed(
            _("Start the set-up again: no authenticator is waiting."), field="token"
        )
    if not device.verify_token(token.strip()):
        record_auth_event(request, "auth.mfa_enrol_failed", user=user)
        raise ValidationFailed(_("The code is not correct. Try the next one."), field="token")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        codes = _new_recovery_codes(user)
        record_auth_event(request, "auth.mfa_enrolled", user=user, detail={"device": "totp"})
    return codes


def verify_second_factor(request: HttpRequest, user: User, token: str) -> Device | None:
    """Check a code from the authenticator, or a recovery code (used up by this); audit both the
    success and the failure. Returns the device that accepted it."""
    token = token.strip().replace(" ", "")
    for device in devices_for_user(user, confirmed=True):
        if verify_token(user, device.persistent_id, token) is not None:
            kind = "recovery_code" if isinstance(device, StaticDevice) else "totp"
            record_auth_event(request, "auth.mfa_verified", user=user, detail={"device": kind})
            return device
    record_auth_event(request, "auth.mfa_failed", user=user)
    return None


@transaction.atomic
def regenerate_recovery_codes(request: HttpRequest, user: User) -> list[str]:
    if not has_second_factor(user):
        raise ValidationFailed(_("Set up an authenticator first."), field="token")
    codes = _new_recovery_codes(user)
    record_auth_event(request, "auth.mfa_recovery_codes", user=user, detail={"count": len(codes)})
    return codes


def _delete_devices(user: User) -> int:
    count = 0
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
        count += 1
    return count


def disable_mfa(request: HttpRequest, user: User, token: str) -> None:
    """The user removes their own second factor (only when it is optional for them), proving
    possession with a current code."""
    if mfa_required(user) and settings.HAUCAN_MFA_ENFORCED:
        raise PermissionDenied(_("Your role requires two-step sign-in; it cannot be turned off."))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None or not device.verify_token(token.strip()):
        record_auth_event(request, "auth.mfa_failed", user=user, detail={"for": "disable"})
        raise ValidationFailed(_("The code is not correct."), field="token")
    with transaction.atomic():
        _delete_devices(user)
        record_auth_event(request, "auth.mfa_disabled", user=user)


def _require_admin(scope: Scope) -> None:
    if not scope.can(Action.ADMINISTER):
        raise PermissionDenied(_("You are not allowed to manage users."))


@transaction.atomic
def reset_mfa(scope: Scope, user: User) -> int:
    """An administrator removes a user's authenticator and recovery codes (lost phone); a user
    who needs two-step sign-in sets it up again at the next sign-in."""
    _require_admin(scope)
    removed = _delete_devices(user)
    audit.record(scope, "auth.mfa_reset", user, {"devices": removed})
    return removed


@transaction.atomic
def revoke_sessions(scope: Scope, user: User) -> None:
    """End every session of `user` at once (their next request asks them to sign in)."""
    _require_admin(scope)
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    audit.record(scope, "auth.sessions_revoked", user, {})


@transaction.atomic
def unlock(scope: Scope, *, username: str = "", ip: str = "") -> int:
    """Lift a lockout for a user name and/or an address before its cool-off ends."""
    from axes.utils import reset

    _require_admin(scope)
    if not username and not ip:
        raise ValidationFailed(_("Name a user or an address to unlock."), field="username")
    removed = 0
    if username:
        removed += reset(username=username)
    if ip:
        removed += reset(ip=ip)
    audit.record(scope, "auth.unlock", username or ip, {"username": username, "ip": ip})
    return removed


def b32_secret(device: TOTPDevice) -> str:
    """The key as base32 in groups of four, for typing into an app when the QR code cannot be
    scanned."""
    from base64 import b32encode

    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
