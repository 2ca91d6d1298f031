"""The stored summaries (summaries.py) against a plain recount: every indicator at
every level, after inserts, updates, exits, moves and deletions; only what changed
is counted again; and the change log they rely on."""

import datetime as dt
import io
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from shouwang.accounts.models import User
from shouwang.audit.models import AreaChange, changes_compact
from shouwang.audit.services import audit_access
from shouwang.care.choices import PairingEndReason
from shouwang.care.models import ObligationRule, Pairing
from shouwang.care.services.contacts import contact_log
from shouwang.care.services.pairings import pairing_end
from shouwang.care.tests.factories import make_person
from shouwang.conftest import COUNTY, VILLAGE
from shouwang.dashboard import summaries
from shouwang.dashboard.indicators import (
    INDICATORS,
    SOURCES,
    Measures,
    aid_trend,
    rate_trend,
    summaries_refresh,
)
from shouwang.dashboard.models import AreaSummary
from shouwang.dashboard.tests.conftest import NOV, NOW, OCT, TODAY, VILLAGE_C, _grade
from shouwang.people.choices import PersonStatus, RelationKind
from shouwang.people.eligibility import Program
from shouwang.people.models import Relation, SurveyRound, Verification
from shouwang.people.services.persons import person_set_status, relation_delete
from shouwang.people.services.programs import enrollment_end
from shouwang.protection.choices import AidKind, Fund
from shouwang.protection.models import Aid

ZHENGDUN, WEITIAN = "350724101", "350724102"
# (prefix, digits): every level, grouped by its children and as a whole
SHAPES = [
    ("35", 4), ("35", 2), ("3507", 6), ("350724", 9), ("350724", 6),
    (ZHENGDUN, 12), (ZHENGDUN, 9), (VILLAGE, 12), (VILLAGE_C, 12),
]  # fmt: skip


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


def figures(prefix, digits, *, stored, month=NOV):
    m = Measures(prefix, digits=digits, month=month, today=TODAY, stored=stored)
    return {key: m.by_area(key) for key in INDICATORS} | {"profile": m.profile()}


def assert_stored_equals_recount(month=NOV):
    for prefix, digits in SHAPES:
        stored = figures(prefix, digits, stored=True, month=month)
        assert stored == figures(prefix, digits, stored=False, month=month), (prefix, digits)


def counted_again(queries) -> bool:
    return any('INTO "dashboard_areasummary"' in q["sql"] for q in queries)


def summary(area, digits, source="demography", day=TODAY):
    return AreaSummary.objects.get(area=area, source=source, digits=digits, day=day)


@pytest.mark.usefixtures("travel")
def test_the_stored_figures_equal_a_recount_after_every_kind_of_write(county, village_worker):
    """After each write on its own, every indicator at every level, this month and
    last (the trend's closed months are read from summaries too)."""

    def recount():
        assert_stored_equals_recount()
        assert_stored_equals_recount(month=OCT)

    recount()  # counted and stored
    assert AreaSummary.objects.filter(area=ZHENGDUN, digits=12).exists()
    recount()  # read back
    # inserts: a new child in village C; contacts for 老二, today and in October
    make_person("新", VILLAGE_C, birth=dt.date(2016, 1, 1), address="某路2号")
    assert figures(WEITIAN, 9, stored=True)["people"][WEITIAN]["all"].value == 3
    recount()
    contact_log(user=village_worker, person=county["老二"], kind="home_visit", date=TODAY)
    recount()
    contact_log(user=village_worker, person=county["老二"], kind="phone", date=OCT.first)
    recount()
    # updates: 子二's school filled in (her file becomes complete)
    child = county["子二"]
    child.refresh_from_db()
    child.school = "郑墩中心小学"
    child.save()
    recount()
    # exits: 老一 leaves the program as of 20 October, 妇一 moves out
    enrollment_end(
        user=village_worker,
        enrollment=county["老一"].enrollments.get(program=Program.LEFT_BEHIND_ELDERLY),
        on=dt.date(2026, 10, 20),
        exit_reason="other",
    )
    recount()
    person_set_status(
        user=village_worker, person=county["妇一"], status=PersonStatus.MOVED_OUT, on=TODAY
    )
    recount()
    # a move: 子一 to village C, in the other township
    before = figures(VILLAGE, 12, stored=True)["people"][VILLAGE]["all"].value
    moved = county["子一"]
    moved.refresh_from_db()
    moved.village_id = VILLAGE_C
    moved.save()
    assert figures(VILLAGE, 12, stored=True)["people"][VILLAGE]["all"].value == before - 1
    recount()
    # deletions: 子三's father
    relation_delete(relation=Relation.objects.get(person=county["子三"], kind=RelationKind.FATHER))
    recount()
    # the other records the figures read: 子三's pairing ended on 25 October, a
    # file verified in the round, a risk assessment
    pairing_end(
        user=village_worker,
        pairing=Pairing.objects.filter(person=county["子三"], ended_on=None).first(),
        ended_on=dt.date(2026, 10, 25),
        reason=PairingEndReason.REASSIGNED,
    )
    recount()
    Verification.objects.create(
        round=SurveyRound.objects.get(area_id=COUNTY), person=county["子二"]
    )
    recount()
    _grade(county["子二"], 3)
    recount()
    # aid handed out in October
    Aid.objects.create(
        person=county["子二"], kind=AidKind.CASH, date=dt.date(2026, 10, 9), giver="县民政局",
        fund=Fund.FISCAL, amount=Decimal("80.00"),
    )  # fmt: skip
    recount()


@pytest.mark.usefixtures("travel")
def test_the_trends_from_summaries_equal_a_recount(county, settings):
    stored = rate_trend("350724", until=NOV, today=TODAY)
    aid = aid_trend("350724", until=NOV, today=TODAY)
    settings.DASHBOARD_SUMMARIES = False
    assert stored == rate_trend("350724", until=NOV, today=TODAY)
    assert aid == aid_trend("350724", until=NOV, today=TODAY)
    assert [(str(m), t.total) for m, t in aid if t] == [
        ("2026-10", Decimal("100.00")), ("2026-11", Decimal("350.50"))
    ]  # fmt: skip
    visits = stored[-1][1]["monthly_visit"]
    assert len(stored) == 12 and (visits.value, visits.total) == (2, 3)  # 老一, 老三 of 3


@pytest.mark.usefixtures("travel")
def test_a_write_counts_only_its_township_again(county, village_worker):
    figures("350724", 9, stored=True)
    zhengdun, weitian = summary(ZHENGDUN, 9), summary(WEITIAN, 9)
    make_person("新", VILLAGE_C, birth=dt.date(2016, 1, 1))
    with CaptureQueriesContext(connection) as queries:
        Measures("350724", digits=9, month=NOV, today=TODAY).by_area("people")
    counted = [q for q in queries if '"people_person"' in q["sql"]]
    assert len(counted) == 1  # 渭田镇's people, by village — not 郑墩镇's
    assert f"'{WEITIAN}%'" in counted[0]["sql"] or WEITIAN in str(counted[0]["sql"])
    assert summary(ZHENGDUN, 9).token == zhengdun.token  # left as it was
    assert summary(WEITIAN, 9).token > weitian.token
    assert summary("350724", 9).rows != []


@pytest.mark.usefixtures("travel")
def test_a_fresh_summary_is_read_in_two_queries_whatever_its_size(county):
    figures("35", 4, stored=True)
    with CaptureQueriesContext(connection) as queries:
        rows = summaries.rows(SOURCES["demography"], "35", 4, [TODAY])
    assert len(queries) == 2  # the changes, the summary
    assert sum(row["n"] for row in rows[TODAY]) == 9


def test_reads_and_other_apps_record_no_change(county, county_admin):
    before = AreaChange.objects.count()
    audit_access(instance=county["子一"], fields=["id_number"])
    User.objects.filter(pk=county_admin.pk).first().save()
    assert AreaChange.objects.count() == before


def test_a_default_rule_changes_every_area(county):
    rule = ObligationRule.objects.filter(county=None).first()
    rule.escalate_village_days += 1
    rule.save()
    assert AreaChange.objects.filter(area="").exists()


def test_a_write_is_recorded_again_when_it_commits(county, django_capture_on_commit_callbacks):
    here = AreaChange.objects.filter(area=VILLAGE_C)
    before = here.count()
    with django_capture_on_commit_callbacks() as callbacks:
        make_person("新", VILLAGE_C)
    now = here.count() - before
    assert now > 0 and len(callbacks) == now  # a record now, one more at commit
    for callback in callbacks:
        callback()
    assert here.count() - before == 2 * now


@pytest.mark.usefixtures("travel")
def test_compacting_the_change_log_or_forgetting_summaries_changes_no_figure(county):
    first = figures("350724", 9, stored=True)
    changes = summaries.Changes("350724")
    assert changes_compact() > 0
    assert summaries.Changes("350724").last == changes.last
    with CaptureQueriesContext(connection) as queries:
        assert figures("350724", 9, stored=True) == first
    assert not counted_again(queries)  # still fresh
    summaries.summaries_forget()
    assert not AreaSummary.objects.exists()
    assert figures("350724", 9, stored=True) == first


@pytest.mark.usefixtures("travel")
def test_the_nightly_job_counts_the_day_and_drops_days_gone(county):
    month_end, passed = dt.date(2026, 10, 31), dt.date(2026, 11, 21)
    for day in (month_end, passed):
        AreaSummary.objects.create(area="x", source="rates", digits=1, day=day, token=0)
    kept = summaries_refresh(today=TODAY)
    assert kept == AreaSummary.objects.count() > 0
    assert not AreaSummary.objects.filter(day=passed).exists()
    assert AreaSummary.objects.filter(day=month_end, area="x").exists()
    # every source of today and the trend's rates are counted: a read counts nothing
    with CaptureQueriesContext(connection) as queries:
        figures("350724", 9, stored=True)
        rate_trend("350724", until=NOV, today=TODAY)
        aid_trend("350724", until=NOV, today=TODAY)
    assert not counted_again(queries)


@pytest.mark.usefixtures("travel")
def test_a_contact_changes_only_its_months_rates_and_the_overdue(county, village_worker):
    """A contact logged late for October: October's rates and today's overdue are
    counted again; the files, the people and November's rates stay as stored."""
    figures(ZHENGDUN, 12, stored=True)
    figures(ZHENGDUN, 12, stored=True, month=OCT)
    october = OCT.last
    kept = {
        (source, day): summary(ZHENGDUN, 12, source, day).token
        for source, day in [("demography", TODAY), ("files", TODAY), ("rates", TODAY),
                            ("rates", october), ("overdue", TODAY)]
    }  # fmt: skip
    contact_log(user=village_worker, person=county["老二"], kind="home_visit", date=october)
    assert_stored_equals_recount(month=OCT)
    assert_stored_equals_recount()
    now = {key: summary(ZHENGDUN, 12, *key).token for key in kept}
    same = {key for key in kept if now[key] == kept[key]}
    assert same == {("demography", TODAY), ("files", TODAY), ("rates", TODAY)}


@pytest.mark.django_db(transaction=True)
def test_a_write_committed_while_a_reader_counts_leaves_that_count_stale(demo_areas):
    """A reader counts while a write is not yet committed: it cannot see the write,
    nor its change; once the write commits, the next read counts again."""
    if connection.vendor != "postgresql":
        pytest.skip("needs two real connections; SQLite's test database locks whole tables")
    make_person("甲", VILLAGE)
    written, counted, done = threading.Event(), threading.Event(), threading.Event()

    def writer():
        try:
            with transaction.atomic():
                make_person("乙", VILLAGE)
                written.set()
                counted.wait(30)
        finally:
            connections.close_all()
            done.set()

    def people() -> int:
        m = Measures(ZHENGDUN, digits=12, month=NOV, today=TODAY)
        return m.total("people")["all"].value

    thread = threading.Thread(target=writer)
    thread.start()
    assert written.wait(30)
    assert people() == 1  # 乙 not committed yet
    counted.set()
    assert done.wait(30)
    thread.join()
    assert people() == 2


@pytest.mark.usefixtures("travel")
def test_the_command_counts_todays_summaries(county):
    out = io.StringIO()
    call_command("summaries", "--forget", stdout=out)
    assert "forgot 0 summaries" in out.getvalue()
    assert AreaSummary.objects.filter(area="350724", source="files", day=TODAY).exists()


@pytest.mark.usefixtures("travel")
def test_a_relation_leaves_the_closed_months_of_the_trends_as_stored(county):
    """A relation changes files, not rates nor aid: the trend's October is not
    counted again, today's files are."""
    figures(ZHENGDUN, 12, stored=True)
    rate_trend(ZHENGDUN, until=NOV, today=TODAY)
    october, files = summary(ZHENGDUN, 9, "rates", OCT.last), summary(ZHENGDUN, 12, "files")
    Relation.objects.create(person=county["老二"], kind=RelationKind.CHILD, name="老二的儿子")
    assert_stored_equals_recount()
    assert rate_trend(ZHENGDUN, until=NOV, today=TODAY)[-2][1]
    assert summary(ZHENGDUN, 9, "rates", OCT.last).token == october.token
    assert summary(ZHENGDUN, 12, "files").token > files.token
