"""Survey rounds (摸底排查): who sees which round, opening one, progress by village,
and verifying (核实) files during the round.

Files: three active ones in the village worker's village and one moved out, two in
the neighbour's village (all 郑墩镇), one in a village of 渭田镇.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shouwang.conftest import COUNTY, NEIGHBOUR_VILLAGE, VILLAGE, WEITIAN, ZHENGDUN
from shouwang.people import choices as c
from shouwang.people.models import Person, SurveyRound, Verification
from shouwang.people.selectors import round_progress, unverified_people
from shouwang.people.services.persons import person_create
from shouwang.people.services.surveys import person_verify, survey_round_open
from shouwang.regions.models import Area

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)
WEITIAN_VILLAGE = "350724102200"


def make_person(name, village, *, birth=dt.date(2014, 5, 6), sex="M", **extra):
    data = {"name": name, "sex": sex, "birth_date": birth,
            "village": Area.objects.get(code=village), **extra}  # fmt: skip
    return person_create(user=None, data=data)


def open_round(user, area_code, *, title="2026年第四季度摸底排查", starts_on=None, ends_on=None):
    return survey_round_open(
        user=user, area=Area.objects.get(code=area_code), title=title,
        starts_on=starts_on or TODAY - 5 * DAY, ends_on=ends_on or TODAY + 5 * DAY,
    )  # fmt: skip


def detail(client, survey, query=""):
    return client.get(f"/people/surveys/{survey.pk}/{query}")


def verify(client, survey, person, htmx=False, **data):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(
        f"/people/surveys/{survey.pk}/verify/{person.pk}/", data, follow=not htmx, **headers
    )


@pytest.fixture
def files(demo_areas):
    made = {
        "ours": [make_person(n, VILLAGE) for n in ("张三", "李四", "王五")],
        "neighbours": [make_person(n, NEIGHBOUR_VILLAGE) for n in ("赵六", "钱七")],
        "weitian": [make_person("孙八", WEITIAN_VILLAGE)],
    }
    gone = make_person("周九", VILLAGE)
    Person.objects.filter(pk=gone.pk).update(status=c.PersonStatus.MOVED_OUT)
    gone.refresh_from_db()
    made["gone"] = gone
    return made


@pytest.fixture
def county_round(county_admin):
    return open_round(county_admin, COUNTY, title="全县摸底排查")


@pytest.fixture
def township_round(supervisor):
    return open_round(supervisor, ZHENGDUN, title="郑墩镇摸底排查")


# --- Who sees a round ----------------------------------------------------------------


def test_a_county_round_is_open_to_everyone_in_the_county(
    login, county_round, outsider, village_worker
):
    assert detail(login(outsider), county_round).status_code == 200
    assert detail(login(village_worker), county_round).status_code == 200
    assert "全县摸底排查" in login(outsider).get("/people/surveys/").content.decode()


def test_a_township_round_is_not_found_for_the_outsider_from_the_next_township(
    login, township_round, outsider
):
    client = login(outsider)

    assert detail(client, township_round).status_code == 404
    assert "郑墩镇摸底排查" not in client.get("/people/surveys/").content.decode()


def test_the_village_worker_takes_part_in_their_townships_round(
    login, township_round, village_worker
):
    assert "郑墩镇摸底排查" in login(village_worker).get("/people/surveys/").content.decode()


def test_a_round_of_a_township_is_not_seen_from_another_township_inside_it(
    login, county_admin, supervisor
):
    weitian_round = open_round(county_admin, WEITIAN, title="渭田镇摸底排查")

    assert detail(login(supervisor), weitian_round).status_code == 404


def test_the_unscoped_user_gets_404_and_an_empty_list(login, county_round, unscoped):
    client = login(unscoped)

    assert detail(client, county_round).status_code == 404
    assert "全县摸底排查" not in client.get("/people/surveys/").content.decode()


@pytest.mark.parametrize("actor", ["leader", "volunteer", "auditor"])
def test_roles_without_the_registry_may_not_open_the_survey_pages(
    login, county_round, actor, request
):
    client = login(request.getfixturevalue(actor))

    assert client.get("/people/surveys/").status_code == 403
    assert detail(client, county_round).status_code == 403


def test_anonymous_visitor_is_sent_to_login(client, county_round):
    response = client.get("/people/surveys/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login/")


def test_the_menu_offers_survey_rounds_to_the_village_worker(login, village_worker):
    body = login(village_worker).get("/people/surveys/").content.decode()

    assert 'href="/people/surveys/" aria-current="page">摸底排查</a>' in body


# --- Opening a round -----------------------------------------------------------------


def open_page(client, **data):
    return client.post("/people/surveys/new/", data)


def round_data(area, **overrides):
    return {"title": "冬季摸底排查", "area": area, "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + 30 * DAY).isoformat(), **overrides}  # fmt: skip


def test_the_county_admin_opens_a_round_for_a_township(login, county_admin):
    response = open_page(login(county_admin), **round_data(ZHENGDUN))

    survey = SurveyRound.objects.get()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/people/surveys/{survey.pk}/"
    assert (survey.area_id, survey.title) == (ZHENGDUN, "冬季摸底排查")
    assert survey.opened_by == county_admin


def test_the_form_offers_the_county_and_its_townships_but_no_village(login, county_admin):
    body = login(county_admin).get("/people/surveys/new/").content.decode()

    assert f'<option value="{COUNTY}">松溪县</option>' in body
    assert f'<option value="{ZHENGDUN}">— 郑墩镇</option>' in body
    assert VILLAGE not in body
    assert 'type="date"' in body


def test_the_supervisors_own_township_is_chosen_already(login, supervisor):
    body = login(supervisor).get("/people/surveys/new/").content.decode()

    assert f'<option value="{ZHENGDUN}" selected>— 郑墩镇</option>' in body
    assert WEITIAN not in body


def test_the_supervisor_may_not_open_a_round_for_the_next_township(login, supervisor):
    response = open_page(login(supervisor), **round_data(WEITIAN))

    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not SurveyRound.objects.exists()


def test_an_end_before_the_start_is_an_error_at_the_end_date(login, county_admin):
    data = round_data(COUNTY, ends_on=(TODAY - DAY).isoformat())

    body = open_page(login(county_admin), **data).content.decode()

    assert '<p class="field-error" role="alert">截止日期不能早于开始日期</p>' in body
    assert not SurveyRound.objects.exists()


def test_missing_fields_are_named_in_chinese(login, county_admin):
    body = open_page(login(county_admin)).content.decode()

    assert body.count("这个字段是必填项。") == 4


def test_a_village_worker_may_not_open_a_round(login, village_worker):
    client = login(village_worker)

    assert client.get("/people/surveys/new/").status_code == 403
    assert open_page(client, **round_data(ZHENGDUN)).status_code == 403
    assert "发起摸底排查" not in client.get("/people/surveys/").content.decode()


def test_the_service_refuses_a_village_as_the_area(county_admin):
    with pytest.raises(ValidationError) as error:
        open_round(county_admin, VILLAGE)

    assert error.value.message_dict == {"area": ["摸底排查的范围应为县或乡镇"]}


def test_the_service_refuses_a_user_without_the_permission(village_worker):
    with pytest.raises(PermissionDenied):
        open_round(village_worker, ZHENGDUN)


# --- Progress ------------------------------------------------------------------------


def progress_of(user, survey):
    return {row["village_id"]: (row["total"], row["verified"]) for row in
            round_progress(user=user, survey=survey)}  # fmt: skip


def test_progress_counts_active_files_and_verifications_per_village(
    files, supervisor, village_worker, township_round
):
    person_verify(user=village_worker, survey=township_round, person=files["ours"][0])

    assert progress_of(supervisor, township_round) == {VILLAGE: (3, 1), NEIGHBOUR_VILLAGE: (2, 0)}


def test_progress_is_not_inflated_by_verifications_of_other_rounds(
    files, supervisor, county_admin, township_round
):
    earlier = open_round(county_admin, COUNTY, starts_on=TODAY - 20 * DAY, ends_on=TODAY)
    for person in files["ours"]:
        person_verify(user=supervisor, survey=earlier, person=person)
    person_verify(user=supervisor, survey=township_round, person=files["ours"][0])

    assert progress_of(supervisor, township_round)[VILLAGE] == (3, 1)
    assert progress_of(supervisor, earlier)[VILLAGE] == (3, 3)


def test_the_village_worker_sees_only_their_village_in_the_county_round(
    files, village_worker, county_round
):
    assert progress_of(village_worker, county_round) == {VILLAGE: (3, 0)}
    assert {p.name for p in unverified_people(user=village_worker, survey=county_round)} == {
        "张三", "李四", "王五"
    }  # fmt: skip


def test_the_round_page_shows_each_village_with_a_bar_and_the_total(
    login, files, supervisor, township_round
):
    person_verify(user=supervisor, survey=township_round, person=files["ours"][0])

    body = detail(login(supervisor), township_round).content.decode()

    assert "已核实 1 / 5（20%）" in body
    village = Area.objects.get(code=VILLAGE).name
    assert f'<a href="?village={VILLAGE}#unverified-h">{village}</a>' in body
    assert '<td data-label="已核实" class="num">1</td>' in body
    assert '<td data-label="完成">33%<div class="bar"' in body
    assert '<span style="width:33%"></span>' in body
    assert "<th>20%<div" in body  # the total row
    assert "孙八" not in body and "周九" not in body


def test_the_village_worker_lists_only_their_villages_unverified_files(
    login, files, village_worker, supervisor, township_round
):
    person_verify(user=supervisor, survey=township_round, person=files["ours"][0])

    body = detail(login(village_worker), township_round).content.decode()

    assert "李四" in body and "王五" in body
    assert "张三" not in body  # verified
    assert "赵六" not in body and "钱七" not in body  # the neighbour's village
    assert Area.objects.get(code=NEIGHBOUR_VILLAGE).name not in body


def test_the_supervisor_narrows_the_list_to_one_village(login, files, supervisor, township_round):
    body = detail(login(supervisor), township_round, f"?village={NEIGHBOUR_VILLAGE}")

    text = body.content.decode()
    assert "赵六" in text and "钱七" in text
    assert "李四" not in text


def test_a_village_outside_the_progress_is_ignored(login, files, supervisor, township_round):
    text = detail(login(supervisor), township_round, f"?village={WEITIAN_VILLAGE}")

    assert "李四" in text.content.decode()


def test_the_round_page_queries_do_not_grow_with_the_files(
    login, files, supervisor, township_round
):
    client = login(supervisor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert detail(client, township_round).status_code == 200
        return len(captured)

    few = queries()
    for i in range(12):
        make_person(f"新档案{i}", NEIGHBOUR_VILLAGE if i % 2 else VILLAGE)
    assert queries() == few


def test_the_list_of_rounds_queries_do_not_grow_with_the_rounds(login, county_admin, supervisor):
    client = login(supervisor)
    open_round(county_admin, COUNTY)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/people/surveys/").status_code == 200
        return len(captured)

    few = queries()
    for i in range(6):
        open_round(supervisor if i % 2 else county_admin, ZHENGDUN if i % 2 else COUNTY,
                   title=f"第{i}轮")  # fmt: skip
    assert queries() == few


# --- Verifying -----------------------------------------------------------------------


def test_verifying_a_file_records_who_and_what_changed(
    login, files, village_worker, township_round
):
    person = files["ours"][1]

    response = verify(login(village_worker), township_round, person, changed="on",
                      note="母亲已返乡")  # fmt: skip

    verification = Verification.objects.get()
    assert (verification.person, verification.verified_by) == (person, village_worker)
    assert (verification.changed, verification.note) == (True, "母亲已返乡")
    assert "已核实 李四 的档案" in response.content.decode()


def test_htmx_gets_the_row_back_marked_verified(login, files, village_worker, township_round):
    response = verify(login(village_worker), township_round, files["ours"][0], htmx=True)

    body = response.content.decode()
    assert body.startswith(f'<tr id="verify-{files["ours"][0].pk}">')
    assert '<span class="tag">已核实</span>' in body
    assert "<form" not in body


def test_verifying_twice_is_refused(login, files, village_worker, township_round):
    client = login(village_worker)
    verify(client, township_round, files["ours"][0], htmx=True)

    body = verify(client, township_round, files["ours"][0], htmx=True).content.decode()

    assert "该档案在本轮已核实" in body
    assert Verification.objects.count() == 1


def test_verifying_outside_the_period_is_refused_with_the_dates(
    login, files, county_admin, village_worker
):
    past = open_round(county_admin, COUNTY, starts_on=dt.date(2026, 1, 5),
                      ends_on=dt.date(2026, 1, 31))  # fmt: skip

    response = verify(login(village_worker), past, files["ours"][0])

    assert "本轮摸底排查的时间是 2026-01-05 至 2026-01-31" in response.content.decode()
    assert not Verification.objects.exists()


def test_a_round_out_of_its_period_offers_no_verify_button(
    login, files, county_admin, village_worker
):
    future = open_round(county_admin, COUNTY, starts_on=TODAY + DAY, ends_on=TODAY + 9 * DAY)

    body = detail(login(village_worker), future).content.decode()

    assert "李四" in body
    assert "不在排查期间，不能核实。" in body
    assert "/verify/" not in body


def test_a_change_needs_a_note(login, files, village_worker, township_round):
    body = verify(login(village_worker), township_round, files["ours"][0], htmx=True,
                  changed="on").content.decode()  # fmt: skip

    assert "有变化时请说明变化情况" in body
    assert not Verification.objects.exists()


def test_a_file_outside_the_users_scope_is_not_found(login, files, village_worker, township_round):
    response = verify(login(village_worker), township_round, files["neighbours"][0], htmx=True)

    assert response.status_code == 404


def test_a_file_outside_the_rounds_area_is_refused(login, files, county_admin, township_round):
    body = verify(login(county_admin), township_round, files["weitian"][0],
                  htmx=True).content.decode()  # fmt: skip

    assert "该档案不在本轮摸底排查的范围内" in body


def test_a_moved_out_file_is_not_verified(files, village_worker, township_round):
    with pytest.raises(ValidationError) as error:
        person_verify(user=village_worker, survey=township_round, person=files["gone"])

    assert error.value.messages == ["该档案已不在册，无需核实"]


def test_the_outsider_may_not_verify_in_a_round_they_do_not_see(
    login, files, outsider, township_round
):
    assert verify(login(outsider), township_round, files["weitian"][0]).status_code == 404


def test_a_role_without_the_permission_may_not_verify(login, files, leader, county_round):
    assert verify(login(leader), county_round, files["ours"][0]).status_code == 403


def test_verify_accepts_only_post(login, files, village_worker, township_round):
    url = f"/people/surveys/{township_round.pk}/verify/{files['ours'][0].pk}/"

    assert login(village_worker).get(url).status_code == 405


def test_the_plain_form_returns_to_the_page_it_came_from(
    login, files, village_worker, township_round
):
    back = f"/people/surveys/{township_round.pk}/?page=1"
    response = login(village_worker).post(
        f"/people/surveys/{township_round.pk}/verify/{files['ours'][0].pk}/", {"next": back}
    )

    assert response.headers["Location"] == back


def test_the_form_does_not_return_to_another_site(login, files, village_worker, township_round):
    response = login(village_worker).post(
        f"/people/surveys/{township_round.pk}/verify/{files['ours'][0].pk}/",
        {"next": "https://example.com/"},
    )

    assert response.headers["Location"] == f"/people/surveys/{township_round.pk}/"
