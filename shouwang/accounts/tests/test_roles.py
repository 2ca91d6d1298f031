import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from shouwang.accounts.models import User
from shouwang.accounts.roles import PERMISSIONS, Role
from shouwang.accounts.services import user_create
from shouwang.conftest import PASSWORD
from shouwang.regions.models import Area, Level
from shouwang.regions.services import AreaRow, areas_upsert


def test_every_role_is_a_group_with_exactly_its_permissions(db):
    for role in Role:
        group = Group.objects.get(name=role.value)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert granted == set(PERMISSIONS[role])


def test_the_system_administrator_cannot_read_the_audit_log(login, sysadmin):
    assert login(sysadmin).get("/audit/").status_code == 403


def test_a_village_worker_cannot_open_the_audit_log_or_the_user_list(login, village_worker):
    client = login(village_worker)
    assert client.get("/audit/").status_code == 403
    assert client.get("/accounts/users/").status_code == 403


def test_the_audit_administrator_sees_no_area_records(login, auditor):
    client = login(auditor)
    assert client.get("/areas/").status_code == 404
    assert client.get("/areas/350724000000/").status_code == 404


@pytest.mark.parametrize(
    ("actor", "present", "absent"),
    [
        ("village_worker", ["行政区划"], ["审计日志", "用户"]),
        ("auditor", ["审计日志"], ["行政区划", ">用户<"]),
        ("county_admin", ["行政区划", "用户"], ["审计日志"]),
        ("volunteer", ["首页"], ["行政区划", "审计日志"]),
    ],
)
def test_the_menu_follows_the_role(request, login, actor, present, absent):
    user = request.getfixturevalue(actor)
    body = login(user).get("/").content.decode()
    nav = body.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
    for label in present:
        assert label in nav
    for label in absent:
        assert label not in nav


def test_a_user_without_scope_is_told_so_on_the_home_page(login, unscoped):
    body = login(unscoped).get("/").content.decode()
    assert "未设置管辖区域" in body


def test_a_role_must_be_scoped_to_an_area_of_its_level(demo_areas):
    township = Area.objects.get(code="350724101000")
    with pytest.raises(ValidationError) as error:
        user_create(username="x", password=PASSWORD, role=Role.VILLAGE_WORKER, scope_area=township)
    assert "村级工作人员的管辖区域只能是村级" in str(error.value)
    assert not User.objects.filter(username="x").exists()


def test_a_username_cannot_be_taken_twice(village_worker):
    with pytest.raises(ValidationError) as error:
        user_create(username="village", password=PASSWORD, role=Role.LEADER, scope_area=None)
    assert "用户名已存在" in str(error.value)


def test_the_user_list_shows_only_users_inside_the_scope(login, county_admin, village_worker):
    areas_upsert(
        rows=[AreaRow("350725000000", "政和县", Level.COUNTY, "350700000000", "test", 0)],
        source="test",
    )
    user_create(
        username="zhenghe",
        password=PASSWORD,
        role=Role.COUNTY_ADMIN,
        scope_area=Area.objects.get(code="350725000000"),
    )
    body = login(county_admin).get("/accounts/users/").content.decode()
    assert "village" in body
    assert "zhenghe" not in body


def test_the_user_list_runs_the_same_queries_for_3_or_23_users(login, county_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(county_admin)
    village = Area.objects.get(code="350724101200")

    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/accounts/users/").status_code == 200
        return len(captured)

    before = queries_for_list()
    for i in range(20):
        user_create(
            username=f"w{i}", password=PASSWORD, role=Role.VILLAGE_WORKER, scope_area=village
        )
    assert queries_for_list() == before


def test_the_api_tells_a_user_who_they_are(login, supervisor):
    data = login(supervisor).get("/api/v1/accounts/me").json()
    assert data["username"] == "supervisor"
    assert data["role"] == "township_supervisor"
    assert data["scope_code"] == "350724101000"
    assert data["scope_name"] == "郑墩镇"


def test_the_api_refuses_anonymous_callers(client, db):
    assert client.get("/api/v1/accounts/me").status_code == 401


def test_permissions_come_from_the_role_not_from_the_user(village_worker):
    from django.contrib.auth.models import Permission

    village_worker.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    fresh = type(village_worker).objects.get(pk=village_worker.pk)
    assert not fresh.has_perm("audit.view_auditentry")
    assert fresh.has_perm("people.view_person")
