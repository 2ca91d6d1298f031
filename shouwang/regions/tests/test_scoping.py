"""Who sees which areas: `Area.objects.visible_to(user)`.

The demo county 松溪县 (350724) has nine townships and 109 villages; 郑墩镇
(350724101) has 17 villages numbered 200-216, 渭田镇 (350724102) 15 numbered 200-214.
"""

from django.contrib.auth.models import AnonymousUser

from shouwang.accounts.roles import Role
from shouwang.accounts.services import user_create
from shouwang.conftest import (
    COUNTY,
    NEIGHBOUR_VILLAGE,
    PASSWORD,
    VILLAGE,
    WEITIAN,
    ZHENGDUN,
)
from shouwang.regions.models import Area, Level


def visible_codes(user):
    return set(Area.objects.visible_to(user).values_list("code", flat=True))


def add_area(code, name, level, parent):
    return Area.objects.create(code=code, name=name, level=level, parent_id=parent)


def zhengdun_villages():
    return set(Area.objects.filter(parent_id=ZHENGDUN).values_list("code", flat=True))


# --- Township supervisor -------------------------------------------------------------


def test_supervisor_sees_their_township_and_each_of_its_villages(supervisor):
    assert visible_codes(supervisor) == {ZHENGDUN} | zhengdun_villages()
    assert len(zhengdun_villages()) == 17


def test_supervisor_sees_nothing_of_the_next_township(supervisor):
    visible = Area.objects.visible_to(supervisor)

    assert not visible.filter(code=WEITIAN).exists()
    assert not visible.filter(parent_id=WEITIAN).exists()
    assert not visible.filter(name="渭田镇").exists()


def test_supervisor_does_not_see_their_county_or_anything_above_it(supervisor):
    visible = visible_codes(supervisor)

    assert COUNTY not in visible
    assert "350700000000" not in visible  # 南平市
    assert "350000000000" not in visible  # 福建省


def test_supervisor_does_not_see_the_first_village_of_the_next_township(supervisor):
    # 350724102200 is the first code above the supervisor's range (…101000–…101999)
    # that is a village.
    assert Area.objects.filter(code="350724102200").exists()

    assert "350724102200" not in visible_codes(supervisor)


def test_supervisor_sees_both_edges_of_the_township_range_and_nothing_beyond(supervisor):
    add_area("350724101999", "最末村", Level.VILLAGE, ZHENGDUN)  # highest code inside
    add_area("350724100000", "试验镇", Level.TOWNSHIP, COUNTY)
    add_area("350724100999", "试验村", Level.VILLAGE, "350724100000")  # just below

    visible = visible_codes(supervisor)

    assert ZHENGDUN in visible  # lowest code inside: the township itself
    assert "350724101999" in visible
    assert "350724100999" not in visible
    assert WEITIAN not in visible  # 350724102000, just above


def test_outsider_sees_their_own_township_and_nothing_of_zhengdun(outsider):
    visible = visible_codes(outsider)

    assert WEITIAN in visible
    assert len(visible) == 1 + 15
    assert ZHENGDUN not in visible
    assert not visible & zhengdun_villages()


# --- Village worker ----------------------------------------------------------------


def test_village_worker_sees_only_their_village(village_worker):
    assert visible_codes(village_worker) == {VILLAGE}


def test_village_worker_sees_neither_the_neighbouring_village_nor_the_township(
    village_worker, neighbour
):
    assert NEIGHBOUR_VILLAGE not in visible_codes(village_worker)
    assert ZHENGDUN not in visible_codes(village_worker)
    assert visible_codes(neighbour) == {NEIGHBOUR_VILLAGE}


# --- County admin and other county-scoped roles --------------------------------------


def test_county_admin_sees_the_whole_county(county_admin):
    county_areas = set(
        Area.objects.filter(code__startswith="350724").values_list("code", flat=True)
    )

    visible = visible_codes(county_admin)

    assert visible == county_areas
    assert len(visible) == 1 + 9 + 109


def test_county_admin_sees_both_edges_of_the_county_range_and_nothing_beyond(county_admin):
    add_area("350724999000", "末镇", Level.TOWNSHIP, COUNTY)
    add_area("350724999999", "末村", Level.VILLAGE, "350724999000")  # highest code inside
    add_area("350723000000", "光泽县", Level.COUNTY, "350700000000")
    add_area("350723999000", "光泽末镇", Level.TOWNSHIP, "350723000000")
    add_area("350723999999", "光泽末村", Level.VILLAGE, "350723999000")  # just below
    add_area("350725000000", "政和县", Level.COUNTY, "350700000000")  # just above

    visible = visible_codes(county_admin)

    assert COUNTY in visible  # lowest code inside
    assert "350724999999" in visible
    assert "350723999999" not in visible
    assert "350725000000" not in visible
    assert "350700000000" not in visible  # the city


def test_leader_and_system_admin_of_the_county_see_the_whole_county(leader, sysadmin):
    assert len(visible_codes(leader)) == 1 + 9 + 109
    assert visible_codes(sysadmin) == visible_codes(leader)


# --- Users who see nothing ---------------------------------------------------------


def test_unscoped_user_sees_nothing(unscoped):
    assert not Area.objects.visible_to(unscoped).exists()


def test_anonymous_visitor_sees_nothing(demo_areas):
    assert not Area.objects.visible_to(AnonymousUser()).exists()


def test_no_user_at_all_sees_nothing(demo_areas):
    assert not Area.objects.visible_to(None).exists()


def test_deactivated_county_admin_sees_nothing(county_admin):
    county_admin.is_active = False
    county_admin.save()

    assert not Area.objects.visible_to(county_admin).exists()


def test_auditor_of_the_county_sees_no_areas_without_the_view_permission(auditor):
    assert not auditor.has_perm("regions.view_area")
    assert auditor.scope_area.code == COUNTY

    assert not Area.objects.visible_to(auditor).exists()


def test_volunteer_sees_no_areas(volunteer):
    assert not Area.objects.visible_to(volunteer).exists()


# --- How the scope is queried --------------------------------------------------------


def test_scope_is_queried_as_a_code_range_not_a_like(supervisor):
    sql = str(Area.objects.visible_to(supervisor).query)

    assert " LIKE " not in sql.upper()
    assert ">= 350724101000" in sql
    assert "<= 350724101999" in sql


def test_system_admin_of_the_province_sees_the_whole_province_and_no_other(demo_areas):
    fujian = Area.objects.get(code="350000000000")
    admin = user_create(
        username="province", password=PASSWORD, role=Role.SYSTEM_ADMIN, scope_area=fujian
    )
    add_area("340000000000", "安徽省", Level.PROVINCE, None)
    add_area("360000000000", "江西省", Level.PROVINCE, None)  # just above 359999999999

    visible = visible_codes(admin)

    assert len(visible) == 1 + 1 + 1 + 9 + 109
    assert "350000000000" in visible
    assert not visible & {"340000000000", "360000000000"}
