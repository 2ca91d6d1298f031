"""三员分立 (等保 2.0): the system administrator manages logins (2FA resets, login
histories) but reads neither personal files nor the audit log; the security
administrator alone gives roles and scopes; the audit administrator reads the audit
log and nothing else."""

import pytest

from shouwang.accounts.models import User
from shouwang.accounts.roles import PERMISSIONS, Role
from shouwang.audit.models import AuditEntry
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE, ZHENGDUN
from shouwang.regions.services import full_code

PERSONAL = ("people.", "care.", "protection.view_", "ledgers.", "dashboard.")


def _reads_personal_files(role: Role) -> list[str]:
    return [p for p in PERMISSIONS[role] if p.startswith(PERSONAL)]


def test_the_system_administrator_holds_no_personal_or_audit_permission():
    assert _reads_personal_files(Role.SYSTEM_ADMIN) == []
    assert "audit.view_auditentry" not in PERMISSIONS[Role.SYSTEM_ADMIN]


def test_only_the_security_administrator_gives_roles_and_reads_no_personal_file():
    holders = {role for role, perms in PERMISSIONS.items() if "accounts.assign_role" in perms}
    assert holders == {Role.SECURITY_ADMIN}
    assert _reads_personal_files(Role.SECURITY_ADMIN) == []
    assert "audit.view_auditentry" not in PERMISSIONS[Role.SECURITY_ADMIN]
    assert "accounts.change_user" not in PERMISSIONS[Role.SECURITY_ADMIN]


def test_the_audit_administrator_reads_the_audit_log_and_no_personal_file():
    assert "audit.view_auditentry" in PERMISSIONS[Role.AUDIT_ADMIN]
    assert _reads_personal_files(Role.AUDIT_ADMIN) == []
    assert not any(p.startswith("accounts.") for p in PERMISSIONS[Role.AUDIT_ADMIN])


def test_only_the_audit_administrator_reads_the_audit_log():
    holders = {role for role, perms in PERMISSIONS.items() if "audit.view_auditentry" in perms}
    assert holders == {Role.AUDIT_ADMIN}


@pytest.mark.parametrize(
    "path", ["/people/", "/care/volunteers/", "/protection/cases/", "/dashboard/", "/audit/"]
)
def test_the_system_administrators_pages_refuse_files_and_audit(login, sysadmin, path):
    client = login(sysadmin)
    assert client.get(path).status_code == 403
    assert client.get("/accounts/users/").status_code == 200


@pytest.mark.parametrize(
    "path", ["/people/", "/care/volunteers/", "/protection/cases/", "/accounts/users/"]
)
def test_the_audit_administrators_pages_refuse_files_and_users(login, auditor, path):
    client = login(auditor)
    assert client.get(path).status_code == 403
    assert client.get("/audit/").status_code == 200


@pytest.mark.parametrize("path", ["/people/", "/care/volunteers/", "/protection/cases/", "/audit/"])
def test_the_security_administrators_pages_refuse_files_and_audit(login, security_admin, path):
    client = login(security_admin)
    assert client.get(path).status_code == 403
    assert client.get("/accounts/users/").status_code == 200


def _role_page(user) -> str:
    return f"/accounts/users/{user.pk}/role/"


def test_the_security_administrator_moves_a_worker_to_another_village(
    login, security_admin, village_worker
):
    client = login(security_admin)
    assert _role_page(village_worker) in client.get("/accounts/users/").content.decode()
    form = client.get(_role_page(village_worker))
    assert "张桂兰的角色和管辖区域" in form.content.decode()
    response = client.post(
        _role_page(village_worker),
        {"role": Role.TOWNSHIP_SUPERVISOR, "scope_area": ZHENGDUN, "version": 1},
    )
    assert response.status_code == 302
    village_worker.refresh_from_db()
    assert (village_worker.role, village_worker.scope_area_id) == (
        Role.TOWNSHIP_SUPERVISOR,
        full_code(ZHENGDUN),
    )
    assert list(village_worker.groups.values_list("name", flat=True)) == ["township_supervisor"]
    # Now a supervisor: the township's files, and the change is in the audit log.
    assert village_worker.has_perm("care.resolve_concern")
    entries = AuditEntry.objects.get_for_object(village_worker).filter(actor=security_admin)
    changed = {field for entry in entries for field in entry.changes_dict}
    assert {"role", "scope_area", "groups"} <= changed


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"role": Role.COUNTY_ADMIN, "scope_area": ZHENGDUN}, "scope_area", "只能是县级"),
        ({"role": Role.VILLAGE_WORKER, "scope_area": "350721"}, "scope_area", "不在您的管辖范围内"),
        ({"role": Role.VILLAGE_WORKER, "scope_area": "35072x"}, "scope_area", "不存在"),
        ({"role": Role.VOLUNTEER, "scope_area": VILLAGE}, "role", "选择一个有效的选项"),
        ({"role": Role.VILLAGE_WORKER, "scope_area": ""}, "scope_area", "这个字段是必填项"),
    ],
)
def test_a_wrong_role_or_scope_is_refused_at_its_field(
    login, security_admin, village_worker, data, field, message
):
    response = login(security_admin).post(_role_page(village_worker), data | {"version": 1})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    village_worker.refresh_from_db()
    assert (village_worker.role, village_worker.scope_area_id) == (
        Role.VILLAGE_WORKER,
        full_code(VILLAGE),
    )


def test_nobody_gives_themselves_a_role(login, security_admin):
    response = login(security_admin).post(
        _role_page(security_admin),
        {"role": Role.SYSTEM_ADMIN, "scope_area": "350724", "version": 1},
    )
    assert "不能修改自己的角色" in response.content.decode()
    assert User.objects.get(pk=security_admin.pk).role == Role.SECURITY_ADMIN


def test_the_system_administrator_may_not_give_roles(login, sysadmin, village_worker):
    client = login(sysadmin)
    assert "/role/" not in client.get("/accounts/users/").content.decode()
    response = client.post(
        _role_page(village_worker),
        {"role": Role.COUNTY_ADMIN, "scope_area": "350724", "version": 1},
    )
    assert response.status_code == 403
    village_worker.refresh_from_db()
    assert village_worker.role == Role.VILLAGE_WORKER


def test_a_role_given_from_a_stale_page_is_refused_and_overwrites_nothing(
    login, security_admin, village_worker
):
    client = login(security_admin)
    page = client.get(_role_page(village_worker)).content.decode()
    assert 'name="version" value="1"' in page
    moved = {"role": Role.VILLAGE_WORKER, "scope_area": NEIGHBOUR_VILLAGE, "version": 1}
    assert client.post(_role_page(village_worker), moved).status_code == 302
    stale = client.post(
        _role_page(village_worker),
        {"role": Role.TOWNSHIP_SUPERVISOR, "scope_area": ZHENGDUN, "version": 1},
    )
    assert stale.status_code == 409
    assert "该记录已被他人修改" in stale.content.decode()
    village_worker.refresh_from_db()
    assert (village_worker.role, village_worker.version) == (Role.VILLAGE_WORKER, 2)
