"""Care stations (关爱阵地) with their 八有 checklist, and activities with their
participants, volunteers and the aid handed out there.

张桂兰 (village_worker) runs the 留守儿童之家 of her village in 郑墩镇, where 李小明
lives; 王奶奶 lives in the second village of 郑墩镇 (outside 张桂兰's scope, inside
吴丽萍's); 陈小军 lives in 渭田镇, the next township (周明, `outsider`).
刘晓燕 is an approved volunteer of the first village.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shouwang.audit.models import AuditEntry
from shouwang.care.choices import VolunteerStatus
from shouwang.care.tests.factories import make_elder, make_person, make_volunteer
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.protection import choices as c
from shouwang.protection.models import Activity, Aid, Station
from shouwang.protection.selectors.timeline import person_timeline
from shouwang.protection.services.stations import (
    AidSpec,
    activity_record,
    station_create,
    station_update,
)
from shouwang.regions.models import Area

WEITIAN_VILLAGE = "350724102200"
NOTHING_SAVED = "未保存任何内容"
DAY = dt.date(2026, 6, 1)


def audited(model, pk) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_pk=str(pk)
        ).order_by("pk")
    )


@pytest.fixture
def home(village_worker):
    return station_create(
        user=village_worker, village=Area.objects.get(code=VILLAGE),
        kind=c.StationKind.CHILDREN_HOME, name="留守儿童之家", address="村部一楼",
        manager="张桂兰", opened_on=dt.date(2025, 3, 1),
        haves={"has_sign", "has_venue", "has_staff"},
    )  # fmt: skip


@pytest.fixture
def child(demo_areas):
    return make_person("李小明", VILLAGE)


@pytest.fixture
def sister(demo_areas):
    return make_person("李小红", VILLAGE, sex="F")


@pytest.fixture
def granny(demo_areas):
    return make_elder("王奶奶", NEIGHBOUR_VILLAGE)


@pytest.fixture
def far_child(demo_areas):
    return make_person("陈小军", WEITIAN_VILLAGE)


@pytest.fixture
def liu(demo_areas):
    return make_volunteer("刘晓燕", VILLAGE)


def record(user, station, **extra) -> Activity:
    values = {"date": DAY, "kind": c.ActivityKind.FESTIVAL, "title": "“六一”游园活动",
              "description": "趣味游园", "participants": [], "volunteers": [], **extra}  # fmt: skip
    return activity_record(user=user, station=station, **values)


def errors_of(call, *args, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        call(*args, **kwargs)
    return exc.value.message_dict


# --- stations --------------------------------------------------------------------


def test_a_station_is_registered_with_its_eight_haves_and_audited(home):
    assert (home.haves_done, home.completion) == (3, 38)
    assert home.haves_missing == [
        "有活动设施",
        "有儿童档案",
        "有活动计划",
        "有活动台账",
        "有经费保障",
    ]
    assert [e.action for e in audited(Station, home.pk)] == [AuditEntry.Action.CREATE]


def test_a_station_needs_a_village_of_the_scope(village_worker, demo_areas):
    with pytest.raises(PermissionDenied):
        station_create(user=village_worker, village=Area.objects.get(code=NEIGHBOUR_VILLAGE),
                       kind="children_home", name="妇女之家")  # fmt: skip
    errors = errors_of(station_create, user=village_worker,
                       village=Area.objects.get(code=VILLAGE), kind="bar", name=" ",
                       opened_on=timezone.localdate() + dt.timedelta(days=1),
                       haves={"has_pool"})  # fmt: skip
    assert errors == {
        "kind": ["请选择阵地类别"],
        "name": ["请填写阵地名称"],
        "opened_on": ["建成日期不能晚于今天"],
        "haves": ["“八有”中没有这一项：has_pool"],
    }
    assert not Station.objects.exists()


def test_a_township_is_not_a_village(supervisor):
    errors = errors_of(station_create, user=supervisor,
                       village=Area.objects.get(code="350724101000"), kind="children_home",
                       name="镇儿童之家")  # fmt: skip
    assert "village" in errors


def test_two_stations_of_a_village_have_different_names(village_worker, home):
    errors = errors_of(station_create, user=village_worker, village=home.village,
                       kind="women_home", name="留守儿童之家")  # fmt: skip
    assert errors == {"name": ["本村已有同名的关爱阵地"]}


def test_completing_the_checklist_is_audited(village_worker, home):
    station_update(user=village_worker, station=home, village=home.village, kind=home.kind,
                   name=home.name, address=home.address, manager=home.manager,
                   opened_on=home.opened_on, haves=set(c.EIGHT_HAVES))  # fmt: skip
    home.refresh_from_db()
    assert (home.haves_done, home.completion, home.haves_missing) == (8, 100, [])
    update = audited(Station, home.pk)[-1]
    assert update.action == AuditEntry.Action.UPDATE and "has_funding" in update.changes


def test_a_neighbour_cannot_change_the_station(neighbour, home):
    with pytest.raises(PermissionDenied):
        station_update(user=neighbour, station=home, village=home.village, kind=home.kind,
                       name="改名", address="", manager="", opened_on=None, haves=())  # fmt: skip


# --- activities ------------------------------------------------------------------


def test_an_activity_records_its_participants_and_volunteers(village_worker, home, child, liu):
    activity = record(village_worker, home, participants=[child, child], volunteers=[liu])
    assert list(activity.participants.all()) == [child]
    assert list(activity.volunteers.all()) == [liu]
    assert Activity.objects.filter(participants=child).get() == activity
    entries = audited(Activity, activity.pk)
    assert entries[0].action == AuditEntry.Action.CREATE
    assert any("participants" in (e.changes or {}) for e in entries)


def test_an_activity_appears_on_each_participants_timeline(village_worker, home, child, sister):
    activity = record(village_worker, home, participants=[child, sister])
    for person in (child, sister):
        events = [e for e in person_timeline(village_worker, person) if e.kind == "activity"]
        assert [e.url for e in events] == [f"/protection/activities/{activity.pk}/"]


def test_aid_at_an_activity_is_one_row_per_participant_linked_to_it(
    village_worker, home, child, sister
):
    aid = AidSpec(kind="goods", items="书包 1 个", value=Decimal("45.50"), giver="县妇联",
                  fund="women_federation")  # fmt: skip
    activity = record(village_worker, home, participants=[child, sister], aid=aid)
    rows = list(Aid.objects.filter(activity=activity).order_by("person_id"))
    assert [(a.person, a.date, a.items, a.value, a.amount) for a in rows] == [
        (child, DAY, "书包 1 个", Decimal("45.50"), None),
        (sister, DAY, "书包 1 个", Decimal("45.50"), None),
    ]
    for row in rows:  # written in bulk, audited in bulk
        [entry] = audited(Aid, row.pk)
        assert entry.action == AuditEntry.Action.CREATE
        assert entry.changes["activity"] == [None, activity.pk]
        assert entry.actor is None or entry.actor == village_worker


def test_a_participant_outside_the_township_is_refused(county_admin, home, child, far_child):
    errors = errors_of(record, county_admin, home, participants=[child, far_child])
    assert "陈小军" in errors["participants"][0] and "李小明" not in errors["participants"][0]
    assert not Activity.objects.exists()


def test_a_participant_outside_the_scope_is_refused(village_worker, home, child, granny):
    errors = errors_of(record, village_worker, home, participants=[child, granny])
    assert "王奶奶" in errors["participants"][0]


def test_a_supervisor_may_bring_people_of_the_whole_township(supervisor, home, child, granny):
    activity = record(supervisor, home, participants=[child, granny])
    assert activity.participants.count() == 2


def test_an_activity_refuses_bad_input_and_saves_nothing(village_worker, home, child, demo_areas):
    applied = make_volunteer("报名者", VILLAGE, status=VolunteerStatus.APPLIED)
    errors = errors_of(
        record, village_worker, home, date=timezone.localdate() + dt.timedelta(days=1),
        kind="party", title="", participants=[child], volunteers=[applied],
        aid=AidSpec(kind="cash", amount=Decimal("0"), giver="", fund="fiscal"),
    )  # fmt: skip
    assert errors == {
        "date": ["活动日期不能晚于今天"],
        "kind": ["请选择活动类别"],
        "title": ["请填写活动名称"],
        "volunteers": ["以下志愿者不在您的管辖范围内或未通过审查：报名者"],
        "aid_amount": ["金额必须大于 0"],
        "aid_giver": ["请填写发放单位或人员"],
    }
    assert not Activity.objects.exists() and not Aid.objects.exists()


def test_aid_needs_participants_and_a_date_after_the_opening(village_worker, home):
    aid = AidSpec(kind="cash", amount=Decimal("50"), giver="村委会", fund="fiscal")
    errors = errors_of(record, village_worker, home, date=dt.date(2025, 1, 1), aid=aid)
    assert errors["participants"] == ["发放慰问须选择领取慰问的参加人员"]
    assert "早于阵地建成日期" in errors["date"][0]


def test_an_outsider_cannot_record_at_the_station(outsider, home):
    with pytest.raises(PermissionDenied):
        record(outsider, home)


# --- pages -----------------------------------------------------------------------


def test_a_station_is_registered_from_the_page(login, village_worker, demo_areas):
    response = login(village_worker).post("/protection/stations/new/", {
        "village": VILLAGE, "kind": "women_home", "name": "妇女之家", "address": "",
        "manager": "", "opened_on": "", "has_sign": "on", "has_plan": "on",
    })  # fmt: skip
    station = Station.objects.get()
    assert response.status_code == 302 and response.url == f"/protection/stations/{station.pk}/"
    assert (station.has_sign, station.has_plan, station.has_funding) == (True, True, False)


def test_the_station_page_refuses_a_village_outside_the_scope(login, village_worker, demo_areas):
    response = login(village_worker).post("/protection/stations/new/", {
        "village": NEIGHBOUR_VILLAGE, "kind": "women_home", "name": "妇女之家",
    })  # fmt: skip
    assert response.status_code == 200 and "village" in response.context["form"].errors
    assert NOTHING_SAVED in response.content.decode()
    assert not Station.objects.exists()


def test_the_edit_page_keeps_the_checklist(login, village_worker, home):
    client = login(village_worker)
    form = client.get(f"/protection/stations/{home.pk}/edit/").context["form"]
    assert form.initial["has_sign"] is True and form.initial["has_funding"] is False
    response = client.post(f"/protection/stations/{home.pk}/edit/", {
        "village": VILLAGE, "kind": home.kind, "name": home.name, "has_sign": "on",
        "has_funding": "on", "version": form.initial["version"],
    })  # fmt: skip
    assert response.status_code == 302
    home.refresh_from_db()
    assert (home.has_sign, home.has_venue, home.has_funding) == (True, False, True)


def test_the_station_page_shows_the_checklist_and_activities(login, village_worker, home, child):
    aid = AidSpec(kind="cash", amount=Decimal("100"), giver="县妇联", fund="fiscal")
    record(village_worker, home, participants=[child], aid=aid)
    html = login(village_worker).get(f"/protection/stations/{home.pk}/").content.decode()
    assert "有经费保障" in html and "3/8（38%）" in html
    assert "“六一”游园活动" in html and "慰问 100.00 元" in html


def test_an_activity_is_recorded_from_the_page(login, village_worker, home, child, sister, liu):
    client = login(village_worker)
    form_html = client.get(f"/protection/stations/{home.pk}/activities/new/").content.decode()
    assert "李小明" in form_html and "刘晓燕" in form_html
    response = client.post(f"/protection/stations/{home.pk}/activities/new/", {
        "date": "2026-06-01", "kind": "festival", "title": "端午包粽子",
        "participants": [child.pk, sister.pk], "volunteers": [liu.pk],
        "aid_kind": "cash", "aid_amount": "50", "aid_giver": "村委会", "aid_fund": "fiscal",
    })  # fmt: skip
    activity = Activity.objects.get()
    assert response.status_code == 302 and response.url == f"/protection/activities/{activity.pk}/"
    assert set(activity.participants.all()) == {child, sister}
    assert Aid.objects.filter(activity=activity, amount=Decimal("50")).count() == 2


def test_the_activity_page_refuses_someone_outside_the_township(
    login, county_admin, home, child, far_child
):
    response = login(county_admin).post(f"/protection/stations/{home.pk}/activities/new/", {
        "date": "2026-06-01", "kind": "culture", "title": "读书会",
        "participants": [child.pk, far_child.pk],
    })  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200 and NOTHING_SAVED in html and "陈小军" in html
    assert not Activity.objects.exists()


def test_the_activity_page_refuses_someone_outside_the_scope(login, village_worker, home, granny):
    response = login(village_worker).post(f"/protection/stations/{home.pk}/activities/new/", {
        "date": "2026-06-01", "kind": "culture", "title": "读书会", "participants": [granny.pk],
    })  # fmt: skip
    assert response.context["form"].errors["participants"] == ["所选人员不在您的管辖范围内"]
    assert not Activity.objects.exists()


def test_the_activity_shows_only_the_participants_one_may_see(
    login, supervisor, village_worker, home, child, granny
):
    activity = record(supervisor, home, participants=[child, granny])
    response = login(village_worker).get(f"/protection/activities/{activity.pk}/")
    html = response.content.decode()
    assert "李小明" in html and "王奶奶" not in html
    assert response.context["elsewhere"] == 1


def test_outsiders_get_404_on_every_station_page(login, outsider, village_worker, home, child):
    activity = record(village_worker, home, participants=[child])
    client = login(outsider)
    for url in (f"/protection/stations/{home.pk}/", f"/protection/stations/{home.pk}/edit/",
                f"/protection/stations/{home.pk}/activities/new/",
                f"/protection/activities/{activity.pk}/"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    listed = client.get("/protection/stations/")
    assert f"/protection/stations/{home.pk}/" not in listed.content.decode()
    assert listed.context["summary"]["count"] == 0


def test_the_station_list_runs_a_fixed_number_of_queries(
    login, supervisor, village_worker, child, django_assert_num_queries
):
    client = login(supervisor)

    def stations(n: int, village: str):
        for i in range(n):
            station = Station.objects.create(village_id=village, kind="children_home",
                                             name=f"阵地{village}{i}", has_sign=True)  # fmt: skip
            Activity.objects.create(station=station, date=DAY, kind="culture", title="活动")

    stations(2, VILLAGE)
    client.get("/protection/stations/")  # warm the session and permission caches
    with django_assert_num_queries(STATION_LIST_QUERIES):
        client.get("/protection/stations/")
    stations(6, NEIGHBOUR_VILLAGE)
    with django_assert_num_queries(STATION_LIST_QUERIES):
        response = client.get("/protection/stations/")
    assert len(response.context["page"]) == 8
    assert response.context["summary"] == {"count": 8, "complete": 0}
    assert "1/8（12%）" in response.content.decode()


# session, user, permissions, filter areas, summary, count, rows, unread reminders
STATION_LIST_QUERIES = 8


def test_the_station_detail_runs_a_fixed_number_of_queries(
    login, village_worker, home, child, sister, django_assert_num_queries
):
    client = login(village_worker)
    aid = AidSpec(kind="cash", amount=Decimal("20"), giver="村委会", fund="fiscal")
    record(village_worker, home, participants=[child], aid=aid)
    client.get(f"/protection/stations/{home.pk}/")
    with django_assert_num_queries(STATION_DETAIL_QUERIES):
        client.get(f"/protection/stations/{home.pk}/")
    for i in range(4):
        record(village_worker, home, title=f"活动{i}", participants=[child, sister], aid=aid)
    with django_assert_num_queries(STATION_DETAIL_QUERIES):
        response = client.get(f"/protection/stations/{home.pk}/")
    assert len(response.context["activities"]) == 5


# session, user, permissions, station, activities, aid by activity, count, unread reminders
STATION_DETAIL_QUERIES = 8
