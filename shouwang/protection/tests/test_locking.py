"""No lost updates in protection: a station, the levels of a county's risk scale,
a county's deadlines and a case (its next step, its assignees) are saved only on
the version they were read at — a stale page gets 409 with the Chinese message
at the top of the form and the user's input kept, the API 409 with the version
to read; nothing is overwritten. A referral answered twice is told.

The village worker 张桂兰, the supervisor 吴丽萍 and the county administrator 黄建华.
"""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shouwang.accounts.services import api_token_create
from shouwang.conftest import COUNTY, VILLAGE
from shouwang.protection import choices as c
from shouwang.protection.choices import CaseState as S
from shouwang.protection.models import CaseDeadline, ProtectionCase, Referral, RiskScale, Station
from shouwang.protection.services import cases, risk, stations
from shouwang.protection.tests.test_cases import report
from shouwang.regions.models import Area

STALE = "该记录已被他人修改，请刷新后查看最新内容再保存。"


def hidden(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the form"
    return match.group(1)


class Api:
    """The protection API with a bearer token, as a phone uses it."""

    def __init__(self, user):
        _token, raw = api_token_create(user=user, name="手机")
        self.client, self.headers = Client(), {"Authorization": f"Bearer {raw}"}

    def get(self, path):
        return self.client.get(f"/api/v1/protection{path}", headers=self.headers)

    def post(self, path, body):
        return self.client.post(f"/api/v1/protection{path}", body,
                                content_type="application/json", headers=self.headers)  # fmt: skip

    def put(self, path, body):
        return self.client.put(f"/api/v1/protection{path}", body,
                               content_type="application/json", headers=self.headers)  # fmt: skip


# --- stations ----------------------------------------------------------------------


@pytest.fixture
def home(village_worker) -> Station:
    return stations.station_create(
        user=village_worker, village=Area.objects.get(code=VILLAGE),
        kind=c.StationKind.CHILDREN_HOME, name="留守儿童之家", haves={"has_sign"},
    )  # fmt: skip


def station_form(station: Station, html: str, **changes) -> dict:
    return {"village": station.village_id, "kind": station.kind, "name": station.name,
            "address": station.address, "manager": station.manager, "has_sign": "on",
            "version": hidden(html, "version"), **changes}  # fmt: skip


def station_changed_by(user, station: Station, **changes) -> Station:
    data = {"village": station.village, "kind": station.kind, "name": station.name,
            "address": station.address, "manager": station.manager,
            "opened_on": station.opened_on, "haves": {"has_sign"}, **changes}  # fmt: skip
    return stations.station_update(user=user, station=station, **data)


def test_a_station_edit_on_the_current_version_is_saved(login, village_worker, home):
    client = login(village_worker)
    url = reverse("protection:station_edit", args=[home.pk])
    form = station_form(home, client.get(url).content.decode(), manager="张桂兰")

    assert client.post(url, form).status_code == 302

    home.refresh_from_db()
    assert (home.manager, home.version) == ("张桂兰", 2)


def test_a_stale_station_edit_is_refused_with_409_and_keeps_the_input(
    login, village_worker, supervisor, home
):
    client = login(village_worker)
    url = reverse("protection:station_edit", args=[home.pk])
    form = station_form(home, client.get(url).content.decode(), manager="张桂兰")
    station_changed_by(supervisor, home, address="村部二楼", version=1)

    response = client.post(url, form)

    assert response.status_code == 409
    html = response.content.decode()
    assert html.index(STALE) < html.index('<form method="post" class="stack')
    assert 'value="张桂兰"' in html
    home.refresh_from_db()
    assert (home.address, home.manager, home.version) == ("村部二楼", "", 2)


def test_a_stale_station_put_gets_409_with_the_current_version(village_worker, supervisor, home):
    api = Api(village_worker)
    read = api.get(f"/stations/{home.pk}").json()
    assert read["version"] == 1
    station_changed_by(supervisor, home, address="村部二楼", version=1)
    body = {"village": VILLAGE, "kind": home.kind, "name": home.name, "manager": "张桂兰",
            "haves": ["has_sign"], "version": read["version"]}  # fmt: skip

    response = api.put(f"/stations/{home.pk}", body)

    assert response.status_code == 409
    assert response.json() == {"detail": STALE, "current_version": 2}
    home.refresh_from_db()
    assert (home.address, home.manager) == ("村部二楼", "")
    again = api.put(f"/stations/{home.pk}", body | {"version": 2, "address": "村部二楼"})
    assert again.status_code == 200 and again.json()["version"] == 3


def test_a_station_put_without_a_version_is_refused(village_worker, home):
    body = {"village": VILLAGE, "kind": home.kind, "name": "改名"}
    assert Api(village_worker).put(f"/stations/{home.pk}", body).status_code == 422
    home.refresh_from_db()
    assert home.name == "留守儿童之家"


# --- the levels of a county's risk scale -------------------------------------------


@pytest.fixture
def own_scale(county_admin) -> RiskScale:
    return risk.scale_customise(user=county_admin, county=county_admin.scope_area)


def scale_rows(scale: RiskScale, **changes) -> dict:
    rows = {g.rank: {"label": g.label, "colour": g.colour, "min_score": g.min_score,
                     "tier": g.tier, "reassess_days": g.reassess_days}
            for g in scale.grades.all()}  # fmt: skip
    for key, value in changes.items():
        rank, field = key.split("-", 1)
        rows[int(rank)][field] = value
    return rows


def scale_form(scale: RiskScale, html: str, **changes) -> dict:
    rows = scale_rows(scale, **changes)
    data = {f"{rank}-{field}": value for rank, row in rows.items() for field, value in row.items()}
    return data | {"version": hidden(html, "version")}


def test_a_scale_edit_on_the_current_version_is_saved(login, county_admin, own_scale):
    client = login(county_admin)
    url = reverse("protection:scale_edit", args=[own_scale.pk])
    form = scale_form(own_scale, client.get(url).content.decode(), **{"1-label": "特别高风险"})

    assert client.post(url, form).status_code == 302

    own_scale.refresh_from_db()
    assert own_scale.version == 2
    assert own_scale.grades.get(rank=1).label == "特别高风险"


def test_a_stale_scale_edit_is_refused_with_409(login, county_admin, own_scale):
    client = login(county_admin)
    url = reverse("protection:scale_edit", args=[own_scale.pk])
    form = scale_form(own_scale, client.get(url).content.decode(), **{"1-label": "特别高风险"})
    risk.scale_grades_update(user=county_admin, scale=own_scale, version=1,
                             rows=scale_rows(own_scale, **{"2-reassess_days": 60}))  # fmt: skip

    response = client.post(url, form)

    assert response.status_code == 409
    html = response.content.decode()
    assert html.index(STALE) < html.index('<form method="post" class="stack')
    assert 'value="特别高风险"' in html
    grades = {g.rank: g for g in own_scale.grades.all()}
    assert grades[1].label != "特别高风险" and grades[2].reassess_days == 60


# --- a county's deadlines ----------------------------------------------------------


def deadline_form(html: str, **changes) -> dict:
    return {"state": "reported", "hours": 2, "county_after_hours": 12,
            "seen": hidden(html, "seen"), **changes}  # fmt: skip


def test_a_deadline_set_on_the_current_page_is_saved_twice(login, county_admin):
    client = login(county_admin)
    url = reverse("protection:deadlines")

    assert client.post(url, deadline_form(client.get(url).content.decode())).status_code == 302
    again = deadline_form(client.get(url).content.decode(), hours=3)
    assert client.post(url, again).status_code == 302

    row = CaseDeadline.objects.get(county_id=COUNTY, state="reported")
    assert (row.hours, row.version) == (3, 2)


def test_a_deadline_set_on_a_stale_page_is_refused_with_409(login, county_admin):
    client = login(county_admin)
    url = reverse("protection:deadlines")
    form = deadline_form(client.get(url).content.decode(), hours=2)
    cases.deadline_set(user=county_admin, county=Area.objects.get(code=COUNTY), state="reported",
                       hours=4, county_after_hours=24, version=0)  # fmt: skip

    response = client.post(url, form)

    assert response.status_code == 409
    html = response.content.decode()
    assert STALE in html and 'value="2"' in html
    row = CaseDeadline.objects.get(county_id=COUNTY, state="reported")
    assert (row.hours, row.version) == (4, 1)


def test_a_deadline_for_another_state_is_not_stale(login, county_admin):
    client = login(county_admin)
    url = reverse("protection:deadlines")
    form = deadline_form(client.get(url).content.decode(), state="accepted", hours=30)
    cases.deadline_set(user=county_admin, county=Area.objects.get(code=COUNTY), state="reported",
                       hours=4, county_after_hours=24, version=0)  # fmt: skip

    assert client.post(url, form).status_code == 302
    assert CaseDeadline.objects.get(county_id=COUNTY, state="accepted").hours == 30


# --- cases -------------------------------------------------------------------------


@pytest.fixture
def case(village_worker, demo_areas) -> ProtectionCase:
    from shouwang.care.tests.factories import make_person

    return report(village_worker, [make_person("王小明", VILLAGE)], now=timezone.now())


def case_page(client, case) -> str:
    response = client.get(reverse("protection:case", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_step_on_the_current_version_is_taken(login, supervisor, case):
    client = login(supervisor)
    html = case_page(client, case)

    response = client.post(
        reverse("protection:case_transition", args=[case.pk]),
        {"to_state": "accepted", "from_state": "reported", "version": hidden(html, "version")},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.version) == (S.ACCEPTED, 2)


def test_a_step_on_a_stale_version_is_refused_with_409(
    login, supervisor, county_admin, village_worker, case
):
    client = login(supervisor)
    html = case_page(client, case)
    # Meanwhile the county reassigns the case: same state, a newer version.
    cases.case_assign(user=county_admin, case=case, assignees=[village_worker, supervisor],
                      version=1)  # fmt: skip

    response = client.post(reverse("protection:case_transition", args=[case.pk]), {
        "to_state": "accepted", "from_state": "reported", "version": hidden(html, "version"),
        "note": "已电话核实"})  # fmt: skip

    assert response.status_code == 409
    page = response.content.decode()
    assert STALE in page and "已电话核实" in page
    case.refresh_from_db()
    assert (case.state, case.version) == (S.REPORTED, 2)


def test_an_assignment_on_a_stale_version_is_refused_with_409(
    login, supervisor, village_worker, case
):
    client = login(supervisor)
    version = re.search(r'name="version" value="(\d+)"', case_page(client, case)).group(1)
    cases.case_transition(user=supervisor, case=case, to_state=S.ACCEPTED, version=1)

    response = client.post(reverse("protection:case_assign", args=[case.pk]),
                           {"assignees": [supervisor.pk], "version": version})  # fmt: skip

    assert response.status_code == 409
    assert STALE in response.content.decode()
    assert list(case.assignees.all()) == [village_worker]


def test_an_assignment_on_the_current_version_is_saved(login, supervisor, village_worker, case):
    client = login(supervisor)
    both = {"assignees": [village_worker.pk, supervisor.pk], "version": 1}
    response = client.post(reverse("protection:case_assign", args=[case.pk]), both)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.version == 2 and case.assignees.count() == 2


def test_an_api_step_on_a_stale_version_gets_409(supervisor, county_admin, village_worker, case):
    api = Api(supervisor)
    assert api.get(f"/cases/{case.pk}").json()["version"] == 1
    cases.case_assign(user=county_admin, case=case, assignees=[village_worker], version=1)

    response = api.post(f"/cases/{case.pk}/transitions", {"to_state": "accepted", "version": 1})

    assert response.status_code == 409
    assert response.json() == {"detail": STALE, "current_version": 2}
    case.refresh_from_db()
    assert case.state == S.REPORTED
    again = api.post(f"/cases/{case.pk}/transitions", {"to_state": "accepted", "version": 2})
    assert again.status_code == 200 and again.json()["version"] == 3


def test_a_referral_answered_on_a_stale_page_is_told(supervisor, case):
    referral = cases.referral_add(user=supervisor, case=case, agency="health",
                                  referred_on=timezone.localdate())  # fmt: skip
    page_a, page_b = Referral.objects.get(pk=referral.pk), Referral.objects.get(pk=referral.pk)
    today = timezone.localdate()
    cases.referral_answer(user=supervisor, referral=page_a, answer="accepted", answered_on=today)

    with pytest.raises(ValidationError) as refused:
        cases.referral_answer(user=supervisor, referral=page_b, answer="declined",
                              answered_on=today)  # fmt: skip

    assert refused.value.message_dict == {"answer": ["该转介已有回复，不能覆盖"]}
    referral.refresh_from_db()
    assert referral.answer == "accepted"


def test_the_service_refuses_a_step_on_a_stale_version(supervisor, case):
    cases.case_transition(user=supervisor, case=case, to_state=S.ACCEPTED, version=1)
    with pytest.raises(ValidationError) as stale:
        cases.case_transition(user=supervisor, case=case, to_state=S.INVESTIGATING, note="x",
                              version=1, now=timezone.now() + dt.timedelta(minutes=1))  # fmt: skip
    assert stale.value.messages == [STALE]
