"""The roles of Shouwang and the permissions each holds.

A role is a Django group; `roles_sync()` creates the groups and grants exactly the
permissions listed here (run by migrate's post_migrate signal, so it is always
current). Later issues add their models' permissions to these lists.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")
    COUNTY_ADMIN = "county_admin", _("县级管理员")
    TOWNSHIP_SUPERVISOR = "township_supervisor", _("乡镇督导员")
    VILLAGE_WORKER = "village_worker", _("村级工作人员")
    VOLUNTEER = "volunteer", _("志愿者")
    LEADER = "leader", _("只读领导")


# Which area levels a role's scope may be (a county admin is scoped to a county ...).
SCOPE_LEVELS: dict[Role, tuple[int, ...]] = {
    Role.SYSTEM_ADMIN: (1, 2, 3),
    Role.AUDIT_ADMIN: (1, 2, 3),
    Role.COUNTY_ADMIN: (3,),
    Role.TOWNSHIP_SUPERVISOR: (4,),
    Role.VILLAGE_WORKER: (5,),
    Role.VOLUNTEER: (3, 4, 5),
    Role.LEADER: (1, 2, 3, 4),
}

# "app_label.codename" permissions of each role. Staff roles that work with
# records get the area tree; the system administrator manages users but reads no
# personal files; the audit administrator reads only the audit log.
PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.SYSTEM_ADMIN: (
        "regions.view_area",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
    ),
    Role.AUDIT_ADMIN: ("audit.view_auditentry",),
    Role.COUNTY_ADMIN: ("regions.view_area", "accounts.view_user"),
    Role.TOWNSHIP_SUPERVISOR: ("regions.view_area",),
    Role.VILLAGE_WORKER: ("regions.view_area",),
    Role.VOLUNTEER: (),
    Role.LEADER: ("regions.view_area",),
}


def group_name(role: Role) -> str:
    """Groups are named by the role's stable key, not its translated label."""
    return role.value
