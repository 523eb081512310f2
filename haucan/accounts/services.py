"""Changes to users and their assignments."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from haucan.accounts.models import Assignment, Role, User
from haucan.audit import services as audit
from haucan.core.errors import NotFound, PermissionDenied, ValidationFailed
from haucan.core.scope import Action, Domain, Scope
from haucan.org.models import Unit


@transaction.atomic
def create_user(
    scope: Scope,
    *,
    username: str,
    password: str,
    full_name: str = "",
    email: str = "",
    is_superuser: bool = False,
    check_password: bool = True,
) -> User:
    if not scope.can(Action.ADMINISTER):
        raise PermissionDenied(_("You are not allowed to manage users."))
    if is_superuser and not scope.is_global:
        raise PermissionDenied(_("Only an administrator of the whole army can create another."))
    username = username.strip()
    if not username:
        raise ValidationFailed(_("The user name is empty."), field="username")
    user = User(username=username, full_name=full_name, email=email)
    user.is_superuser = user.is_staff = is_superuser
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(" ".join(exc.messages), field="password") from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailed(
            _("The user name '%(name)s' is taken.") % {"name": username}, field="username"
        ) from None
    audit.record(scope, "accounts.user.create", user, {"username": username})
    return user


@transaction.atomic
def assign(
    scope: Scope, user: User, unit: Unit, role: str, domain: str = Domain.GENERAL
) -> Assignment:
    """Give `user` a role at `unit` (covering its subtree)."""
    if not scope.can(Action.ADMINISTER):
        raise PermissionDenied(_("You are not allowed to manage users."))
    if not scope.covers_path(unit.path):
        raise NotFound(_("Unit not found."))
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role '%(role)s'.") % {"role": role}, field="role")
    if domain not in {d.value for d in Domain}:
        raise ValidationFailed(_("Unknown domain '%(d)s'.") % {"d": domain}, field="domain")
    assignment, _created = Assignment.objects.get_or_create(
        user=user, unit=unit, role=role, domain=domain
    )
    if role == Role.ADMIN and not user.is_staff:
        User.objects.filter(pk=user.pk).update(is_staff=True)
    audit.record(scope, "accounts.assign", user, {"unit": unit.uid, "role": role, "domain": domain})
    return assignment
