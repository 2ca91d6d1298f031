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
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")
    COUNTY_ADMIN = "county_admin", _("县级管理员")
    TOWNSHIP_SUPERVISOR = "township_supervisor", _("乡镇督导员")
    VILLAGE_WORKER = "village_worker", _("村级工作人员")
    VOLUNTEER = "volunteer", _("志愿者")
    LEADER = "leader", _("只读领导")


# Which area levels a role's scope may be (a county admin is scoped to a county ...).
SCOPE_LEVELS: dict[Role, tuple[int, ...]] = {
    Role.SYSTEM_ADMIN: (1, 2, 3),
    Role.SECURITY_ADMIN: (1, 2, 3),
    Role.AUDIT_ADMIN: (1, 2, 3),
    Role.COUNTY_ADMIN: (3,),
    Role.TOWNSHIP_SUPERVISOR: (4,),
    Role.VILLAGE_WORKER: (5,),
    Role.VOLUNTEER: (3, 4, 5),
    Role.LEADER: (1, 2, 3, 4),
}

# "app_label.codename" permissions of each role. Staff roles that work with
# records get the area tree. 三员分立: the system administrator manages logins (2FA
# resets, login histories) but reads no personal files; the security administrator
# alone gives roles and scopes; the audit administrator reads only the audit log.
_PEOPLE_READ = (
    "people.view_person",
    "people.view_household",
    "people.view_relation",
    "people.view_enrollment",
    "people.view_proposal",
    "people.view_duplicatecandidate",
    "people.view_surveyround",
    "people.view_verification",
)
_PEOPLE_WORK = (
    *_PEOPLE_READ,
    "people.add_person",
    "people.change_person",
    "people.reveal_sensitive",
    "people.add_household",
    "people.change_household",
    "people.add_relation",
    "people.change_relation",
    "people.delete_relation",
    "people.add_enrollment",
    "people.change_enrollment",
    "people.change_proposal",
    "people.add_verification",
)
_PEOPLE_SUPERVISE = (
    *_PEOPLE_WORK,
    "people.change_duplicatecandidate",
    "people.add_surveyround",
)

_CARE_READ = (
    "care.view_volunteer",
    "care.view_pairing",
    "care.view_contact",
    "care.view_obligationrule",
)
_CARE_WORK = (
    *_CARE_READ,
    "care.add_volunteer",
    "care.change_volunteer",
    "care.add_pairing",
    "care.change_pairing",
    "care.add_contact",
)
_CARE_SUPERVISE = (
    *_CARE_WORK,
    "care.review_volunteer",
    "care.resolve_concern",
)

# Protection. Filing a mandatory report is open to every login; reading cases is
# need-to-know (ProtectionCase.objects.visible_to): the assigned workers, and all
# cases in scope for holders of `oversee_cases` (supervisors, county staff).
_REPORT = ("protection.add_protectioncase",)
_PROTECTION_WORK = (
    *_REPORT,
    "protection.view_assessment",
    "protection.add_assessment",
    "protection.view_currentrisk",
    "protection.view_riskscale",
    "protection.view_protectioncase",
    "protection.change_protectioncase",
    "protection.view_service",
    "protection.add_service",
    "protection.view_aid",
    "protection.add_aid",
    "protection.view_station",
    "protection.add_station",
    "protection.change_station",
    "protection.view_activity",
    "protection.add_activity",
)
# Ledger import batches: whoever may add files imports ledgers of them.
_LEDGERS = ("ledgers.view_importbatch", "ledgers.add_importbatch")
_PROTECTION_SUPERVISE = (
    *_PROTECTION_WORK,
    "protection.oversee_cases",
    "protection.signoff_case",
    "protection.view_casedeadline",
)
# The dashboard (统计概览): every staff role over its scope; the counts of
# protection cases only for those who oversee cases, and for leaders.
_DASHBOARD = ("dashboard.view_dashboard",)
_DASHBOARD_CASES = (*_DASHBOARD, "dashboard.view_case_counts")

PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.SYSTEM_ADMIN: (
        "regions.view_area",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        *_REPORT,
    ),
    Role.SECURITY_ADMIN: (
        "regions.view_area",
        "accounts.view_user",
        "accounts.assign_role",
        *_REPORT,
    ),
    Role.AUDIT_ADMIN: ("audit.view_auditentry", *_REPORT),
    Role.COUNTY_ADMIN: (
        "regions.view_area",
        "accounts.view_user",
        *_PEOPLE_SUPERVISE,
        "people.view_eligibilityrule",
        "people.add_eligibilityrule",
        *_CARE_SUPERVISE,
        "care.change_obligationrule",
        *_PROTECTION_SUPERVISE,
        *_LEDGERS,
        "protection.change_casedeadline",
        "protection.change_riskscaleassignment",
        *_DASHBOARD_CASES,
    ),
    Role.TOWNSHIP_SUPERVISOR: (
        "regions.view_area",
        *_PEOPLE_SUPERVISE,
        *_CARE_SUPERVISE,
        *_PROTECTION_SUPERVISE,
        *_LEDGERS,
        *_DASHBOARD_CASES,
    ),
    Role.VILLAGE_WORKER: (
        "regions.view_area",
        *_PEOPLE_WORK,
        *_CARE_WORK,
        *_PROTECTION_WORK,
        *_LEDGERS,
        *_DASHBOARD,
    ),
    # A volunteer sees only the people paired with them (the models' volunteer
    # hooks) and logs contacts with them.
    Role.VOLUNTEER: ("care.view_pairing", "care.view_contact", "care.add_contact", *_REPORT),
    # Leaders see aggregates only (issue 7): no personal files.
    Role.LEADER: ("regions.view_area", *_REPORT, *_DASHBOARD_CASES),
}


def group_name(role: Role) -> str:
    """Groups are named by the role's stable key, not its translated label."""
    return role.value
