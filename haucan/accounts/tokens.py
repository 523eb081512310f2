"""Personal API tokens: create, revoke, authenticate, and the scope a token carries.

A token is `hcs_` followed by `secrets.token_urlsafe(32)`. Only its SHA-256 is stored (a fast hash
is right here: the secret has 256 bits of entropy, so there is nothing to brute-force), and the
plaintext is shown once, when it is created. Clients send it as DHIS2 does:
`Authorization: ApiToken hcs_…`.

The narrowed scope rule
-----------------------
A token never gives more than its owner has *now*; it can only take away:

- **Expiry:** past `expires_at` the token is refused (401), as is a revoked token or one whose
  owner is inactive.
- **Unit:** a token limited to a unit acts on the intersection of the owner's scope with that
  unit's subtree, recomputed on every request: the unit's subtree where it lies inside one of the
  owner's assigned subtrees, plus any assigned subtree that lies inside the unit. The owner's
  permissions (actions by domain) are kept, but the token is never "global": an administrator's
  token limited to a regiment administers that regiment only. If the owner has since lost the
  assignment, the intersection is empty and the token sees nothing.
- **Read-only:** any request other than GET, HEAD or OPTIONS is refused (403), and the scope keeps
  only the VIEW permissions (an administrator's token drops the administrator flag and keeps VIEW
  over the whole tree), so a service reached another way still refuses to write.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from haucan.accounts.models import ApiToken, User
from haucan.accounts.queries import resolve_scope
from haucan.accounts.roles import ROLE_ACTIONS
from haucan.audit import services as audit
from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Domain, Scope
from haucan.org.models import Unit

TOKEN_PREFIX = "hcs_"  # noqa: S105 (a marker, not a secret)
# last_used_at is a hint for the owner, not an audit trail: refresh it at most once a minute so a
# busy script does not turn every GET into a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class TokenRejected(Exception):
    """The token is unknown, revoked or expired, or its owner is inactive (answer 401)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


@transaction.atomic
def create_token(
    scope: Scope,
    user: User,
    name: str,
    expires_at: datetime | None = None,
    unit: Unit | None = None,
    read_only: bool = False,
) -> tuple[ApiToken, str]:
    """Create a token for `user` (who must be the actor) and return it with its plaintext,
    which is never stored and cannot be shown again."""
    if scope.user_id != user.pk:
        raise PermissionDenied(_("You can only create tokens for yourself."))
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Give the token a name."), field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(_("The expiry must be in the future."), field="expires_at")
    if unit is not None and not resolve_scope(user).covers_path(unit.path):
        raise NotFound(_("Unit not found."))
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        token_hash=hash_token(plaintext),
        prefix=plaintext[:12],
        unit=unit,
        read_only=read_only,
        expires_at=expires_at,
    )
    audit.record(
        scope,
        "accounts.token.create",
        token,
        {
            "name": token.name,
            "unit": unit.uid if unit else None,
            "read_only": read_only,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, plaintext


@transaction.atomic
def revoke_token(scope: Scope, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens; revoking twice is harmless."""
    token = None
    if scope.user_id is not None:
        token = ApiToken.objects.filter(pk=token_id, user_id=scope.user_id).first()
    if token is None:
        raise NotFound(_("Token not found."))
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if changed:
        audit.record(scope, "accounts.token.revoke", token, {"name": token.name})
    token.refresh_from_db(fields=["revoked_at"])
    return token


def tokens_of(user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).select_related("unit"))


def authenticate_token(plaintext: str) -> ApiToken:
    """The live token with this plaintext (owner and unit loaded), or TokenRejected."""
    if not plaintext.startswith(TOKEN_PREFIX):
        raise TokenRejected(_("Invalid API token."))
    token = (
        ApiToken.objects.select_related("user", "unit")
        .filter(token_hash=hash_token(plaintext))
        .first()
    )
    if token is None or token.revoked_at is not None or not token.user.is_active:
        raise TokenRejected(_("Invalid API token."))
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRejected(_("The API token has expired."))
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        # A conditional UPDATE, not a read-modify-write of the row.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
    return token


def token_scope(token: ApiToken) -> Scope:
    """The owner's scope narrowed by the token (see the module docstring)."""
    return narrow_scope(resolve_scope(token.user), token.unit, read_only=token.read_only)


def narrow_scope(scope: Scope, unit: Unit | None, *, read_only: bool = False) -> Scope:
    permissions = scope.permissions
    unit_paths = scope.unit_paths
    if scope.is_admin and (unit is not None or read_only):
        # Spell an administrator's rights out so they can be bounded; "/" keeps the whole tree.
        permissions = permissions | {
            (Domain.GENERAL.value, action.value) for action in ROLE_ACTIONS["admin"]
        }
        unit_paths = unit_paths | {"/"}
    if unit is not None:
        if scope.is_global or any(unit.path.startswith(root) for root in unit_paths):
            unit_paths = frozenset({unit.path})
        else:
            unit_paths = frozenset(p for p in unit_paths if p.startswith(unit.path))
    if read_only:
        permissions = frozenset(p for p in permissions if p[1] == Action.VIEW.value)
    return Scope(
        user_id=scope.user_id,
        username=scope.username,
        unit_paths=unit_paths,
        permissions=permissions,
        is_admin=scope.is_admin and unit is None and not read_only,
    )
