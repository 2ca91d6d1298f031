from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.models import ApiToken, User
from shouwang.accounts.roles import PERMISSIONS, SCOPE_LEVELS, Role, group_name
from shouwang.regions.models import Area, Level


@transaction.atomic
def roles_sync() -> None:
    """Create one group per role holding exactly the permissions in roles.PERMISSIONS."""
    wanted = {perm for perms in PERMISSIONS.values() for perm in perms}
    by_key = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
        if f"{p.content_type.app_label}.{p.codename}" in wanted
    }
    for role in Role:
        group, _created = Group.objects.get_or_create(name=group_name(role))
        group.permissions.set([by_key[key] for key in PERMISSIONS[role] if key in by_key])


def _check_scope(role: Role, scope_area: Area | None) -> None:
    if scope_area is None:
        return
    if scope_area.level not in SCOPE_LEVELS[role]:
        allowed = "、".join(str(Level(level).label) for level in SCOPE_LEVELS[role])
        raise ValidationError(
            {
                "scope_area": _("%(role)s的管辖区域只能是%(levels)s级")
                % {"role": role.label, "levels": allowed}
            }
        )


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: Role,
    scope_area: Area | None,
    full_name: str = "",
) -> User:
    """Create a login with one role and one scope area (audited by auditlog)."""
    role = Role(role)
    _check_scope(role, scope_area)
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("用户名已存在")})
    user = User(username=username, role=role, scope_area=scope_area, full_name=full_name)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set([Group.objects.get(name=group_name(role))])
    return user


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the record and the token (shown only once)."""
    raw = "sw_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=_token_hash(raw), prefix=raw[:10]
    )
    return token, raw


def api_token_user(raw: str) -> User | None:
    """The active user a token belongs to, or None."""
    token = (
        ApiToken.objects.select_related("user__scope_area")
        .filter(key_hash=_token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    token.revoked_at = timezone.now()
    token.save()
    return token
