"""Programs on save and in the daily job: proposals to enroll and to exit, what
staff confirm or dismiss, the age limit on the birthday, and rule versions.

The village worker 张桂兰 keeps the files of her village; the county admin
黄建华 publishes the county's own rules.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum.cn import ric

from shouwang.conftest import COUNTY, VILLAGE
from shouwang.people.models import EligibilityRule, Enrollment, Person, Proposal, Relation
from shouwang.people.services.persons import person_create, relation_save
from shouwang.people.services.programs import (
    enrollment_start,
    proposal_confirm,
    proposal_dismiss,
    reevaluate_all,
    rule_publish,
)
from shouwang.regions.models import Area

LEFT_BEHIND = "left_behind_child"
FUJIAN = "350000000000"


def id_for(birth: str, *, region: str = "350724", sequence: str = "123") -> str:
    body = region + birth + sequence
    return body + ric.calc_check_digit(body + "0")


def today() -> dt.date:
    return timezone.localdate()


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, month=3, day=1)


def a_child(user, *, born: dt.date, name="李小明") -> Person:
    return person_create(
        user=user,
        data={"name": name, "sex": "M", "birth_date": born,
              "village": Area.objects.get(code=VILLAGE)},
    )  # fmt: skip


def parent_away(child: Person, kind: str, *, months: int = 8) -> Relation:
    return relation_save(
        person=child,
        data={"kind": kind, "name": {"father": "李大强", "mother": "王小芳"}[kind],
              "working_away": True, "work_province": Area.objects.get(code=FUJIAN),
              "months_away_12": months},
    )  # fmt: skip


def left_behind_child(user, *, born: dt.date, name="李小明") -> Person:
    child = a_child(user, born=born, name=name)
    parent_away(child, "father")
    parent_away(child, "mother")
    return child


def pending(person: Person, program: str = LEFT_BEHIND):
    return Proposal.objects.filter(person=person, program=program, status="pending")


def national_rule(program: str = LEFT_BEHIND) -> EligibilityRule:
    return EligibilityRule.objects.get(program=program, area=None, version=1)


def relation_data(kind: str, name: str, **overrides) -> dict:
    data = {"kind": kind, "name": name, "living": "on", "working_away": "on",
            "work_province": FUJIAN, "months_away_12": "8", "health": "healthy",
            "capacity": "full", **overrides}  # fmt: skip
    return {key: value for key, value in data.items() if value is not None}


# --- proposals when a file is saved ---------------------------------------------


def test_a_child_whose_parents_both_work_away_is_proposed_for_the_program(login, village_worker):
    client = login(village_worker)
    client.post("/people/new/", {
        "name": "李小明", "sex": "M", "ethnicity": "汉族", "birth_date": "2016-03-01",
        "village": VILLAGE, "health": "healthy", "dependence": "independent",
    })  # fmt: skip
    child = Person.objects.get()
    assert not pending(child).exists()

    at_home = {"working_away": None, "work_province": None, "months_away_12": None}
    client.post(f"/people/{child.pk}/relations/new/", relation_data("mother", "王小芳", **at_home))
    client.post(f"/people/{child.pk}/relations/new/", relation_data("father", "李大强"))
    assert child.relations.count() == 2
    assert not pending(child).exists()  # the mother at home looks after the child

    mother = child.relations.get(kind="mother")
    response = client.post(
        f"/people/{child.pk}/relations/{mother.pk}/",
        relation_data("mother", "王小芳", version=mother.version),
    )

    assert response.status_code == 302
    proposal = pending(child).get()
    assert proposal.action == Proposal.Action.ENROLL
    assert proposal.rule == national_rule()
    assert proposal.proposed_on == today()
    assert proposal.reason == "未满16周岁，父母均外出务工6个月以上"
    page = client.get(f"/people/{child.pk}/").content.decode()
    assert "纳入「农村留守儿童」" in page
    assert "规则 全国 v1" in page


def test_a_pending_proposal_gives_the_reason_of_the_file_as_it_is_now(village_worker):
    child = a_child(village_worker, born=dt.date(2016, 3, 1))
    parent_away(child, "father")
    assert pending(child).get().reason == "未满16周岁，父亲外出务工6个月以上，母亲下落不明"

    parent_away(child, "mother")

    assert pending(child).get().reason == "未满16周岁，父母均外出务工6个月以上"


def test_parents_away_five_months_are_not_enough(village_worker):
    child = a_child(village_worker, born=dt.date(2016, 3, 1))
    parent_away(child, "father", months=5)
    parent_away(child, "mother", months=6)

    assert not pending(child).exists()


def test_confirming_the_proposal_enrolls_the_child_under_that_rule(login, village_worker):
    child = left_behind_child(village_worker, born=dt.date(2016, 3, 1))
    proposal = pending(child).get()

    response = login(village_worker).post(f"/people/proposals/{proposal.pk}/confirm/")

    assert response.status_code == 302
    enrollment = child.enrollments.get()
    assert enrollment.program == LEFT_BEHIND
    assert enrollment.started_on == today()
    assert enrollment.ended_on is None
    assert enrollment.rule == national_rule()
    assert enrollment.confirmed_by == village_worker
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.CONFIRMED
    assert proposal.decided_by == village_worker


# --- the 16th birthday ----------------------------------------------------------


@pytest.fixture
def turning_16_soon(village_worker):
    """An enrolled left-behind child whose 16th birthday is in 30 days."""
    birthday = today() + dt.timedelta(days=30)
    child = left_behind_child(village_worker, born=years_before(birthday, 16))
    proposal_confirm(user=village_worker, proposal=pending(child).get())
    return child, birthday


def test_the_daily_job_proposes_the_exit_exactly_on_the_16th_birthday(turning_16_soon):
    child, birthday = turning_16_soon

    assert reevaluate_all(on=birthday - dt.timedelta(days=1)) == 0
    assert not pending(child).exists()

    assert reevaluate_all(on=birthday) == 1
    proposal = pending(child).get()
    assert proposal.action == Proposal.Action.EXIT
    assert proposal.exit_reason == "age_limit"
    assert proposal.proposed_on == birthday
    assert proposal.reason == "已年满16周岁"


def test_running_the_daily_job_twice_on_a_day_proposes_once(turning_16_soon):
    child, birthday = turning_16_soon

    reevaluate_all(on=birthday)
    assert reevaluate_all(on=birthday) == 0

    assert pending(child).count() == 1


def test_a_child_can_be_enrolled_the_day_before_the_16th_birthday_but_not_on_it(
    village_worker,
):
    birthday = today() + dt.timedelta(days=30)
    child = left_behind_child(village_worker, born=years_before(birthday, 16))

    with pytest.raises(ValidationError) as refused:
        enrollment_start(user=village_worker, person=child, program=LEFT_BEHIND, on=birthday)
    assert "已年满16周岁" in refused.value.message_dict["program"][0]

    enrollment = enrollment_start(user=village_worker, person=child, program=LEFT_BEHIND,
                                  on=birthday - dt.timedelta(days=1))  # fmt: skip
    assert enrollment.is_open


def test_confirming_the_age_exit_keeps_the_enrollment_as_history(
    login, village_worker, turning_16_soon
):
    child, birthday = turning_16_soon
    reevaluate_all(on=birthday)

    proposal_confirm(user=village_worker, proposal=pending(child).get(), on=birthday)

    enrollment = child.enrollments.get()
    assert enrollment.ended_on == birthday
    assert enrollment.exit_reason == "age_limit"
    assert enrollment.ended_by == village_worker
    page = login(village_worker).get(f"/people/{child.pk}/").content.decode()
    assert birthday.isoformat() in page
    assert "年满16周岁" in page


# --- parents coming home -----------------------------------------------------------


@pytest.fixture
def enrolled_child(village_worker):
    child = left_behind_child(village_worker, born=dt.date(2016, 3, 1))
    proposal_confirm(user=village_worker, proposal=pending(child).get())
    return child


def test_a_parent_coming_home_proposes_the_exit(login, village_worker, enrolled_child):
    father = enrolled_child.relations.get(kind="father")

    response = login(village_worker).post(
        f"/people/{enrolled_child.pk}/relations/{father.pk}/",
        relation_data(
            "father", "李大强", returned="on", last_return_date="2026-01-01", version=father.version
        ),  # fmt: skip
    )

    assert response.status_code == 302
    proposal = pending(enrolled_child).get()
    assert proposal.action == Proposal.Action.EXIT
    assert proposal.exit_reason == "parents_returned"
    assert proposal.rule == national_rule()


def test_a_confirmed_exit_keeps_the_history_and_the_child_can_come_back(
    village_worker, enrolled_child
):
    father = enrolled_child.relations.get(kind="father")
    relation_save(person=enrolled_child, relation=father, data={"returned": True})
    proposal_confirm(user=village_worker, proposal=pending(enrolled_child).get())
    first = enrolled_child.enrollments.get()
    assert (first.ended_on, first.exit_reason) == (today(), "parents_returned")

    relation_save(person=enrolled_child, relation=father, data={"returned": False})
    proposal = pending(enrolled_child).get()
    assert proposal.action == Proposal.Action.ENROLL
    proposal_confirm(user=village_worker, proposal=proposal)

    first.refresh_from_db()
    assert (first.ended_on, first.exit_reason) == (today(), "parents_returned")
    again = enrolled_child.enrollments.get(ended_on__isnull=True)
    assert again.pk != first.pk
    assert again.started_on == today()
    assert enrolled_child.enrollments.count() == 2


# --- dismissed proposals ---------------------------------------------------------


def test_a_dismissed_proposal_is_not_made_again_by_the_daily_job(login, village_worker):
    child = left_behind_child(village_worker, born=dt.date(2016, 3, 1))
    proposal = pending(child).get()

    response = login(village_worker).post(f"/people/proposals/{proposal.pk}/dismiss/")
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DISMISSED

    reevaluate_all(on=today())
    reevaluate_all(on=today() + dt.timedelta(days=7))
    relation_save(person=child, relation=child.relations.get(kind="father"),
                  data={"months_away_12": 9})  # fmt: skip

    assert not pending(child).exists()
    assert child.proposals.count() == 1
    assert not child.enrollments.exists()


def test_a_decided_proposal_cannot_be_decided_again(login, village_worker):
    child = left_behind_child(village_worker, born=dt.date(2016, 3, 1))
    proposal = pending(child).get()
    proposal_dismiss(user=village_worker, proposal=proposal)

    with pytest.raises(ValidationError):
        proposal_confirm(user=village_worker, proposal=proposal)
    response = login(village_worker).post(f"/people/proposals/{proposal.pk}/confirm/", follow=True)

    assert "该建议已处理" in response.content.decode()
    assert not child.enrollments.exists()


# --- manual enrollment -------------------------------------------------------------


@pytest.fixture
def seventeen(village_worker):
    """A 17-year-old whose parents both work away."""
    return left_behind_child(
        village_worker, born=years_before(today(), 17) - dt.timedelta(days=100), name="李大明"
    )


def test_enrolling_a_17_year_old_as_left_behind_child_is_refused_on_the_page(
    login, village_worker, seventeen
):
    response = login(village_worker).post(
        f"/people/{seventeen.pk}/enroll/",
        {"program": LEFT_BEHIND, "started_on": today().isoformat()},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"/people/{seventeen.pk}/"
    assert "不符合“农村留守儿童”的认定条件：已年满16周岁（规则 全国 v1）" in (
        response.content.decode()
    )
    assert not seventeen.enrollments.exists()


def test_enrolling_a_17_year_old_as_left_behind_child_is_refused_by_the_service(
    village_worker, seventeen
):
    with pytest.raises(ValidationError) as refused:
        enrollment_start(user=village_worker, person=seventeen, program=LEFT_BEHIND, on=today())

    assert refused.value.message_dict == {
        "program": ["不符合“农村留守儿童”的认定条件：已年满16周岁（规则 全国 v1）"]
    }
    assert not Enrollment.objects.exists()


def test_enrolling_twice_in_the_same_program_is_refused(village_worker, enrolled_child):
    with pytest.raises(ValidationError) as refused:
        enrollment_start(user=village_worker, person=enrolled_child, program=LEFT_BEHIND,
                         on=today())  # fmt: skip

    assert refused.value.message_dict == {"program": ["已在该项目中"]}


# --- rule versions -----------------------------------------------------------------


def test_a_county_rule_with_age_limit_18_changes_the_verdict_from_its_first_day(
    county_admin, village_worker, seventeen
):
    assert not pending(seventeen).exists()
    county_rule = rule_publish(
        user=county_admin, program=LEFT_BEHIND, params={"age_limit": 18},
        effective_from=today(), area=Area.objects.get(code=COUNTY), note="松溪县放宽至18周岁",
    )  # fmt: skip

    assert reevaluate_all(on=today() - dt.timedelta(days=1)) == 0
    with pytest.raises(ValidationError):
        enrollment_start(user=village_worker, person=seventeen, program=LEFT_BEHIND,
                         on=today() - dt.timedelta(days=1))  # fmt: skip

    assert reevaluate_all(on=today()) == 1
    proposal = pending(seventeen).get()
    assert proposal.action == Proposal.Action.ENROLL
    assert proposal.rule == county_rule
    assert proposal.reason == "未满18周岁，父母均外出务工6个月以上"

    enrollment = proposal_confirm(user=village_worker, proposal=proposal)
    assert enrollment.rule == county_rule
    assert enrollment.rule.area_id == COUNTY
    assert enrollment.rule.params["age_limit"] == 18


def test_a_county_rule_in_force_tomorrow_does_not_apply_today(
    county_admin, village_worker, seventeen
):
    rule_publish(user=county_admin, program=LEFT_BEHIND, params={"age_limit": 18},
                 effective_from=today() + dt.timedelta(days=1),
                 area=Area.objects.get(code=COUNTY))  # fmt: skip

    assert reevaluate_all(on=today()) == 0
    assert reevaluate_all(on=today() + dt.timedelta(days=1)) == 1


def test_a_new_national_version_is_numbered_after_the_last_one(county_admin):
    rule = rule_publish(user=county_admin, program=LEFT_BEHIND, params={"min_months_away": 3},
                        effective_from=today())  # fmt: skip

    assert rule.version == 2
    assert rule.params == {"age_limit": 16, "parents_rule": "both_away_or_one_incapable",
                           "min_months_away": 3}  # fmt: skip


def test_rule_parameters_are_checked_when_published(county_admin):
    with pytest.raises(ValidationError) as refused:
        rule_publish(user=county_admin, program=LEFT_BEHIND, params={"age_limit": 25},
                     effective_from=today())  # fmt: skip

    assert refused.value.messages == ["参数 age_limit 必须是 1 至 18 之间的整数"]
    assert EligibilityRule.objects.filter(program=LEFT_BEHIND).count() == 1


def test_reasons_are_stored_in_chinese_even_when_an_english_user_acts(village_worker):
    from django.utils import translation

    with translation.override("en"):
        child = left_behind_child(village_worker, born=years_before(today(), 10))
    assert "外出务工" in pending(child).get().reason


def test_the_rules_page_states_each_rule_in_words(login, county_admin):
    body = login(county_admin).get("/people/rules/").content.decode()
    assert "未满16周岁；父母均外出，或一方外出、另一方无监护能力；近12个月外出6个月以上" in body
    assert "age_limit=" not in body  # no raw parameter keys in the table


def test_a_county_rule_can_drop_the_marriage_requirement(login, county_admin):
    response = login(county_admin).post("/people/rules/", {
        "program": "left_behind_woman", "effective_from": today().isoformat(),
        "require_married": "no"})  # fmt: skip
    assert response.status_code == 302
    rule = EligibilityRule.objects.get(program="left_behind_woman", area_id=COUNTY)
    assert rule.params["require_married"] is False
    assert rule.params["min_age"] == 20  # the rest kept from the rule in force
