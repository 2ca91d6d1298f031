"""'As of': a report for a day stands still once the day is over — kept by the
nightly job, or when first asked for — while live figures move with the files."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from shouwang.people.choices import PersonStatus
from shouwang.people.models import Person
from shouwang.regions.models import Area
from shouwang.reports.figures import TOTAL, area_figures
from shouwang.reports.models import FigureSnapshot
from shouwang.reports.services import report_figures, snapshot_take, snapshots_nightly
from shouwang.reports.tasks import report_snapshots_nightly

SHANGHAI = ZoneInfo("Asia/Shanghai")
COUNTY, ZHENGDUN = "350724000000", "350724101000"
D = dt.date(2026, 11, 22)
NEXT_DAY = dt.datetime(2026, 11, 23, 0, 30, tzinfo=SHANGHAI)


def edit_files(county) -> None:
    """After D: 子一 becomes a girl with no guardian, 老一 moves out (saved, so
    audited as every edit is)."""
    child = Person.objects.get(pk=county["子一"].pk)
    child.sex, child.guardianship_type = "F", "none"
    child.save()
    elder = Person.objects.get(pk=county["老一"].pk)
    elder.status = PersonStatus.MOVED_OUT
    elder.save()


def t1_and_t3(figures) -> tuple[dict, dict]:
    return figures["tables"]["t1"][ZHENGDUN], figures["tables"]["t3"][ZHENGDUN]


@pytest.mark.django_db
def test_a_past_days_report_is_kept_and_does_not_change_when_files_change(report_county):
    county = Area.objects.get(code=COUNTY)
    with time_machine.travel(NEXT_DAY, tick=False):
        first = report_figures(county, as_of=D)
        assert first["snapshot"] is not None
        snapshot = FigureSnapshot.objects.get(area=county, as_of=D)
        assert snapshot.source == FigureSnapshot.Source.ON_DEMAND
        edit_files(report_county)
        again = report_figures(county, as_of=D)
    assert again == first
    t1, t3 = t1_and_t3(again)
    assert (t1["M"], t1["F"], t1["guardianship.good"], t1["guardianship.none"]) == (2, 1, 3, 0)
    assert t3["elderly"] == 3


@pytest.mark.django_db
def test_the_live_figures_do_change_with_the_files(report_county):
    """Honest: counted again from the tables, D's figures move (the fields and the
    file status have no history) — the snapshot is what keeps the report still."""
    county = Area.objects.get(code=COUNTY)
    with time_machine.travel(NEXT_DAY, tick=False):
        before = area_figures(county, as_of=D)
        edit_files(report_county)
        after = area_figures(county, as_of=D)
    t1, t3 = t1_and_t3(after)
    assert t1_and_t3(before) != (t1, t3)
    assert (t1["M"], t1["F"], t1["guardianship.good"], t1["guardianship.none"]) == (1, 2, 2, 1)
    assert t3["elderly"] == 2


@pytest.mark.django_db
def test_todays_report_is_live_and_not_kept(report_county):
    county = Area.objects.get(code=COUNTY)
    with time_machine.travel(dt.datetime(2026, 11, 22, 10, tzinfo=SHANGHAI), tick=False):
        before = report_figures(county, as_of=D)
        edit_files(report_county)
        after = report_figures(county, as_of=D)
    assert before["snapshot"] is None and after["snapshot"] is None
    assert not FigureSnapshot.objects.exists()
    assert before["tables"]["t1"][TOTAL]["M"] == 2 and after["tables"]["t1"][TOTAL]["M"] == 1


@pytest.mark.django_db
def test_the_nightly_job_keeps_yesterday_for_every_county_and_township(report_county):
    with time_machine.travel(NEXT_DAY, tick=False):
        taken = report_snapshots_nightly.call_local()
        assert taken == 1 + 9  # 松溪县 and its nine townships
        assert FigureSnapshot.objects.filter(as_of=D).count() == 10
        assert snapshots_nightly() == 10  # re-run: nothing new, nothing changed
        assert FigureSnapshot.objects.count() == 10
        edit_files(report_county)
        county = report_figures(Area.objects.get(code=COUNTY), as_of=D)
        township = report_figures(Area.objects.get(code=ZHENGDUN), as_of=D)
    assert county["tables"]["t1"][ZHENGDUN]["M"] == 2
    assert township["tables"]["t1"][TOTAL]["M"] == 2
    assert FigureSnapshot.objects.get(area=COUNTY, as_of=D).source == "nightly"


@pytest.mark.django_db
def test_a_snapshot_is_taken_once(report_county):
    county = Area.objects.get(code=COUNTY)
    with time_machine.travel(NEXT_DAY, tick=False):
        first = snapshot_take(area=county, as_of=D, source="nightly")
        edit_files(report_county)
        second = snapshot_take(area=county, as_of=D, source="on_demand")
    assert second.pk == first.pk and second.figures == first.figures
