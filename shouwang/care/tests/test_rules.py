"""The visiting rules: defaults from domain.md, changed per county by the county
administrator, read by the other staff, and what is owed follows them."""

import datetime as dt

import pytest

from shouwang.audit.models import AuditEntry
from shouwang.care.choices import Duty, Period
from shouwang.care.models import ObligationRule
from shouwang.care.selectors import obligations_for
from shouwang.care.tests.factories import make_elder
from shouwang.conftest import COUNTY, VILLAGE
from shouwang.people.models import Person

ELDERLY = "left_behind_elderly"


def test_the_defaults_are_the_frequencies_of_the_domain(db):
    rules = {
        (r.program, r.risk_level, r.pairing_kind, r.duty): r.period
        for r in ObligationRule.objects.filter(county__isnull=True)
    }
    assert rules == {
        ("left_behind_child", "", "proxy_parent", Duty.CONTACT): Period.WEEK,
        ("left_behind_child", "", "proxy_parent", Duty.HOME_VISIT): Period.MONTH,
        ("left_behind_child", "", "proxy_parent", Duty.TEACHER_TALK): Period.MONTH,
        ("left_behind_child", "", "", Duty.FAMILY_CALL): Period.MONTH,
        (ELDERLY, "", "", Duty.ELDERLY_VISIT): Period.MONTH,
        (ELDERLY, "high", "", Duty.ELDERLY_VISIT): Period.WEEK,
        (ELDERLY, "priority", "", Duty.ELDERLY_VISIT): Period.MONTH,
        (ELDERLY, "general", "", Duty.ELDERLY_VISIT): Period.QUARTER,
    }


def test_the_county_administrator_sees_the_rules_with_edit_buttons(login, county_admin):
    page = login(county_admin).get("/care/rules/")
    assert page.status_code == 200
    assert "使用默认规则" in page.content.decode()
    assert "修改" in page.content.decode()


def test_a_supervisor_reads_the_rules_but_cannot_change_them(login, supervisor):
    client = login(supervisor)
    page = client.get("/care/rules/")
    assert page.status_code == 200
    assert "新增规则" not in page.content.decode()
    rule = ObligationRule.objects.filter(county__isnull=True).first()
    assert client.get(f"/care/rules/{rule.pk}/edit/").status_code == 403


def test_volunteers_and_leaders_do_not_see_the_rules(login, volunteer, leader):
    assert login(volunteer).get("/care/rules/").status_code == 403
    assert login(leader).get("/care/rules/").status_code == 403


def general_tier_rule():
    return ObligationRule.objects.get(
        county__isnull=True, program=ELDERLY, risk_level="general", duty=Duty.ELDERLY_VISIT
    )


def form_data(rule, **changes):
    data = {
        "program": rule.program, "risk_level": rule.risk_level,
        "pairing_kind": rule.pairing_kind, "duty": rule.duty, "period": rule.period,
        "escalate_village_days": rule.escalate_village_days,
        "escalate_township_days": rule.escalate_township_days, "version": rule.version,
    }  # fmt: skip
    data.update(changes)
    return data


def test_changing_a_rule_gives_the_county_its_own_copy_and_changes_what_is_owed(
    login, county_admin
):
    make_elder("赵桂英", VILLAGE, birth=dt.date(1955, 1, 1))
    rule = general_tier_rule()
    response = login(county_admin).post(
        f"/care/rules/{rule.pk}/edit/", form_data(rule, period=Period.MONTH)
    )
    assert response.status_code == 302
    own = ObligationRule.objects.filter(county_id=COUNTY)
    assert own.count() == ObligationRule.objects.filter(county__isnull=True).count()
    assert general_tier_rule().period == Period.QUARTER  # the default is untouched
    [owed] = obligations_for(Person.objects.visible_to(county_admin))
    assert owed.rule.period == Period.MONTH
    assert AuditEntry.objects.filter(
        content_type__model="obligationrule", actor=county_admin
    ).exists()


def test_escalating_to_the_township_before_the_village_is_refused(login, county_admin):
    rule = general_tier_rule()
    page = login(county_admin).post(
        f"/care/rules/{rule.pk}/edit/",
        form_data(rule, escalate_village_days=10, escalate_township_days=5),
    )
    assert page.status_code == 200
    assert "上报乡镇的天数不能少于告知村级的天数" in page.content.decode()
    assert not ObligationRule.objects.filter(county_id=COUNTY, period=Period.MONTH,
                                             risk_level="general").exists()  # fmt: skip


def test_a_second_rule_for_the_same_duty_is_refused_with_a_message(login, county_admin):
    rule = general_tier_rule()
    page = login(county_admin).post("/care/rules/new/", form_data(rule, period=Period.WEEK))
    assert page.status_code == 200
    assert "已有相同项目、风险等级、结对类别和内容的规则" in page.content.decode()


def test_deleting_a_rule_and_resetting_to_the_defaults(login, county_admin):
    make_elder("赵桂英", VILLAGE, birth=dt.date(1955, 1, 1))
    client = login(county_admin)
    assert client.post(f"/care/rules/{general_tier_rule().pk}/delete/").status_code == 302
    # Without a rule for the general tier, the rule for any level (月探访) applies.
    [owed] = obligations_for(Person.objects.visible_to(county_admin))
    assert (owed.rule.risk_level, owed.rule.period) == ("", Period.MONTH)
    client.post("/care/rules/customise/", {"action": "reset"})
    assert not ObligationRule.objects.filter(county_id=COUNTY).exists()
    [owed] = obligations_for(Person.objects.visible_to(county_admin))
    assert owed.rule.period == Period.QUARTER


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_rules_are_not_found(login, county_admin, method):
    response = getattr(login(county_admin), method)("/care/rules/999999/edit/")
    assert response.status_code == 404


def test_changing_the_risk_level_of_a_default_rule_changes_that_rule_not_another(
    login, county_admin
):
    rule = general_tier_rule()
    response = login(county_admin).post(
        f"/care/rules/{rule.pk}/edit/", form_data(rule, risk_level="", period=Period.MONTH)
    )
    assert response.status_code == 200  # the county already has a rule for any level
    assert "已有相同项目、风险等级、结对类别和内容的规则" in response.content.decode()
    # nothing saved half-way: no county copy, and no other rule took the change
    assert not ObligationRule.objects.filter(county_id=COUNTY).exists()
    assert general_tier_rule().period == Period.QUARTER
    response = login(county_admin).post(
        f"/care/rules/{rule.pk}/edit/", form_data(rule, risk_level="high", period=Period.MONTH)
    )
    assert "已有相同项目、风险等级、结对类别和内容的规则" in response.content.decode()
    assert not ObligationRule.objects.filter(county_id=COUNTY).exists()


def test_deleting_a_default_twice_is_told_not_a_server_error(login, county_admin):
    client = login(county_admin)
    rule = general_tier_rule()
    assert client.post(f"/care/rules/{rule.pk}/delete/").status_code == 302
    again = client.post(f"/care/rules/{rule.pk}/delete/", follow=True)
    assert "该规则已不存在" in again.content.decode()


def test_a_user_without_a_scope_area_gets_404_not_a_server_error(login, unscoped):
    from shouwang.accounts.models import User

    User.objects.filter(pk=unscoped.pk).update(role="county_admin")
    assert login(unscoped).get("/care/rules/").status_code in (403, 404)


def test_the_last_rule_of_a_county_cannot_be_deleted(login, county_admin):
    from shouwang.care.services.rules import rule_delete, rules_customise
    from shouwang.regions.models import Area

    county = Area.objects.get(code=COUNTY)
    *others, last = rules_customise(user=county_admin, county=county)
    for rule in others:
        rule_delete(user=county_admin, county=county, rule=rule)
    page = login(county_admin).post(f"/care/rules/{last.pk}/delete/", follow=True)
    assert "本县至少保留一条规则" in page.content.decode()
    assert ObligationRule.objects.filter(county=county).count() == 1
