import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shouwang.audit.context import acting_as
from shouwang.audit.models import AuditEntry
from shouwang.audit.services import audit_access
from shouwang.regions.models import Area, Level
from shouwang.regions.services import AreaRow, areas_upsert

Action = AuditEntry.Action
NEW_VILLAGE = "350724101299"


def _entries_for(code):
    return AuditEntry.objects.filter(object_pk=code).order_by("id")


def test_creating_updating_and_deleting_a_record_is_each_audited(demo_areas, county_admin):
    with acting_as(county_admin, remote_addr="10.1.2.3"):
        area = Area.objects.create(
            code=NEW_VILLAGE, name="新村", level=Level.VILLAGE, parent_id="350724101000"
        )
        area.name = "新安村"
        area.save()
        area.delete()
    created, updated, deleted = _entries_for(NEW_VILLAGE)
    assert [created.action, updated.action, deleted.action] == [
        Action.CREATE,
        Action.UPDATE,
        Action.DELETE,
    ]
    assert updated.changes["name"] == ["新村", "新安村"]
    assert {e.actor for e in (created, updated, deleted)} == {county_admin}
    assert {e.remote_addr for e in (created, updated, deleted)} == {"10.1.2.3"}


def test_a_bulk_write_gets_one_entry_per_record_with_the_actor(demo_areas, county_admin):
    rows = [
        AreaRow(f"350724101{n}", f"新{n}村", Level.VILLAGE, "350724101000", "t", 0)
        for n in range(250, 253)
    ]
    with acting_as(county_admin, remote_addr="10.9.9.9"):
        report = areas_upsert(rows=rows, source="test bulk")
    assert report.created == 3
    entries = AuditEntry.objects.filter(object_pk__in=[r.code for r in rows])
    assert entries.count() == 3
    entry = entries.get(object_pk="350724101250")
    assert entry.action == Action.CREATE
    assert entry.actor == county_admin
    assert entry.remote_addr == "10.9.9.9"
    assert entry.changes["name"] == [None, "新250村"]
    assert entry.additional_data == {"source": "test bulk", "bulk": True}


def test_a_bulk_write_that_changes_nothing_writes_no_entries(demo_areas):
    before = AuditEntry.objects.count()
    from shouwang.core.demo import demo_area_rows

    report = areas_upsert(rows=demo_area_rows(), source="again")
    assert report.created == report.updated == 0
    assert AuditEntry.objects.count() == before


@pytest.mark.urls("shouwang.audit.tests.urls")
def test_a_bulk_write_after_a_request_is_not_blamed_on_that_request(
    demo_areas, login, village_worker
):
    login(village_worker).post("/test-rename/350724101200/", {"name": "改名村"})
    areas_upsert(
        rows=[AreaRow(NEW_VILLAGE, "新村", Level.VILLAGE, "350724101000", "t", 0)], source="cli"
    )
    assert _entries_for(NEW_VILLAGE).get().actor is None


def test_creating_a_login_is_audited_without_the_password(village_worker):
    entry = AuditEntry.objects.filter(
        content_type__model="user", object_pk=str(village_worker.pk), action=Action.CREATE
    ).get()
    assert "password" not in entry.changes
    assert entry.changes["username"] == ["None", "village"] or entry.changes["username"][1] == (
        "village"
    )


def test_reading_sensitive_fields_is_recorded(demo_areas, county_admin):
    area = Area.objects.get(code="350724101200")
    with acting_as(county_admin, remote_addr="10.0.0.5"):
        entry = audit_access(instance=area, fields=["phone", "id_number"], reason="核实")
    entry.refresh_from_db()
    assert entry.action == Action.ACCESS
    assert entry.actor == county_admin
    assert entry.additional_data == {"fields": ["id_number", "phone"], "reason": "核实"}


def test_the_address_comes_from_the_socket_unless_a_proxy_is_trusted(rf, settings):
    from shouwang.audit.middleware import AuditMiddleware

    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    settings.TRUST_X_FORWARDED_FOR = False
    assert AuditMiddleware._get_remote_addr(request) == "10.0.0.1"
    settings.TRUST_X_FORWARDED_FOR = True
    assert AuditMiddleware._get_remote_addr(request) == "6.6.6.6"


@pytest.mark.urls("shouwang.audit.tests.urls")
def test_a_write_in_a_request_records_the_user_and_address(demo_areas, login, county_admin):
    client = login(county_admin)
    client.post("/test-rename/350724101200/", {"name": "改名村"}, REMOTE_ADDR="10.7.7.7")
    entry = _entries_for("350724101200").get(action=Action.UPDATE)
    assert entry.actor == county_admin
    assert entry.remote_addr == "10.7.7.7"
    assert entry.changes["name"][1] == "改名村"


@pytest.mark.urls("shouwang.audit.tests.urls")
def test_a_bulk_write_in_a_request_records_the_user_and_address(demo_areas, login, county_admin):
    client = login(county_admin)
    client.post("/test-add-villages/", {"n": ["260", "261"]}, REMOTE_ADDR="10.7.7.8")
    entries = AuditEntry.objects.filter(object_pk__in=["350724101260", "350724101261"])
    assert entries.count() == 2
    assert {(e.actor, e.remote_addr) for e in entries} == {(county_admin, "10.7.7.8")}


@pytest.mark.urls("shouwang.audit.tests.urls")
def test_nothing_is_blamed_on_the_last_request_after_it_ends(demo_areas, login, county_admin):
    login(county_admin).post("/test-rename/350724101200/", {"name": "改名村"})
    village = Area.objects.get(code="350724101200")
    village.name = "再改名村"
    village.save()  # outside any request, e.g. a command
    assert _entries_for("350724101200").last().actor is None


# --- the audit log page ---------------------------------------------------------------


@pytest.fixture
def history(demo_areas, county_admin, supervisor):
    """Three changes by two people on known days."""
    with acting_as(county_admin):
        village = Area.objects.get(code="350724101200")
        village.name = "县里改名村"
        village.save()
    with acting_as(supervisor):
        township = Area.objects.get(code="350724101000")
        township.name = "郑墩镇（改）"
        township.save()
    return timezone.localtime().date()


def test_the_auditor_sees_who_changed_what(login, auditor, history):
    body = login(auditor).get("/audit/").content.decode()
    assert "县里改名村" in body
    assert "county" in body and "supervisor" in body


def test_the_log_filters_by_user(login, auditor, history):
    body = login(auditor).get("/audit/", {"user": "supervisor"}).content.decode()
    assert "郑墩镇（改）" in body
    assert "县里改名村" not in body


def test_the_log_filters_by_record_code_or_name(login, auditor, history):
    client = login(auditor)
    by_code = client.get("/audit/", {"record": "350724101200"}).content.decode()
    assert "县里改名村" in by_code and "郑墩镇（改）" not in by_code
    by_name = client.get("/audit/", {"record": "郑墩镇（改）"}).content.decode()
    assert "郑墩镇（改）" in by_name and "县里改名村" not in by_name


def test_the_log_filters_by_date_inclusive_at_both_ends(login, auditor, history):
    client = login(auditor)
    today = history.isoformat()
    yesterday = (history - dt.timedelta(days=1)).isoformat()
    tomorrow = (history + dt.timedelta(days=1)).isoformat()
    same_day = client.get("/audit/", {"date_from": today, "date_to": today})
    assert "县里改名村" in same_day.content.decode()
    before = client.get("/audit/", {"date_to": yesterday}).content.decode()
    assert "县里改名村" not in before
    after = client.get("/audit/", {"date_from": tomorrow}).content.decode()
    assert "县里改名村" not in after


def test_a_malformed_date_gets_a_message_not_an_error(login, auditor, history):
    response = login(auditor).get("/audit/", {"date_from": "2026-13-45"})
    assert response.status_code == 200
    assert "查询条件有误" in response.content.decode()


def test_an_htmx_filter_returns_only_the_entries_fragment(login, auditor, history):
    response = login(auditor).get("/audit/", {"user": "county"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert "县里改名村" in body


def test_the_log_page_runs_the_same_queries_for_few_or_many_entries(login, auditor, history):
    client = login(auditor)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/audit/").status_code == 200
        return len(captured)

    few = count()
    areas_upsert(
        rows=[
            AreaRow(f"350724101{n}", f"村{n}", Level.VILLAGE, "350724101000", "t", 0)
            for n in range(300, 340)
        ],
        source="test",
    )
    assert count() == few


def test_people_without_the_audit_role_cannot_read_the_log(client, login, county_admin, leader):
    assert login(county_admin).get("/audit/").status_code == 403
    assert login(leader).get("/audit/").status_code == 403
    client.logout()
    assert client.get("/audit/").status_code == 302
    assert AuditEntry.objects.visible_to(county_admin).count() == 0


def test_the_log_shows_field_names_and_role_changes_readably(login, auditor, village_worker):
    body = login(auditor).get("/audit/", {"record": "张桂兰"}).content.decode()
    assert "用户名：— → village" in body  # verbose name, empty before creation
    assert "组：— → village_worker" in body  # the role group, a many-to-many change
