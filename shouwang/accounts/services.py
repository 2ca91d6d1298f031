from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shouwang.accounts.models import User
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
