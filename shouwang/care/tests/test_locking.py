"""No lost updates in the care network: a volunteer's details and a county's
visiting rules are saved only on the version they were edited on; state changes
(review, withdrawal, ending a pairing, resolving a concern) re-check the state
on the locked row, so the second of two is told rather than written twice.

The village worker 张桂兰 and the supervisor 吴丽萍 both open the same record.
"""

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shouwang.care.choices import CarerKind, Duty, VolunteerStatus
from shouwang.care.models import Contact, ObligationRule, Pairing, Volunteer
from shouwang.care.services import contacts, pairings, volunteers
from shouwang.care.tests.factories import make_person, make_volunteer, pair
from shouwang.conftest import COUNTY, VILLAGE

STALE = "该记录已被他人修改，请刷新后查看最新内容再保存。"


def hidden(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the form"
    return match.group(1)


# --- a volunteer's details ---------------------------------------------------------


def volunteer_form(volunteer: Volunteer, html: str, **changes) -> dict:
    """The edit form as the browser submits it, with `changes`."""
    return {
        "name": volunteer.name, "kind": volunteer.kind, "organisation": volunteer.organisation,
        "organisation_name": volunteer.organisation_name, "area": volunteer.area_id,
        "phone": "", "capacity": volunteer.capacity, "notes": volunteer.notes,
        "version": hidden(html, "version"), **changes,
    }  # fmt: skip


@pytest.fixture
def chen(demo_areas) -> Volunteer:
    return make_volunteer("陈秀梅", VILLAGE, status=VolunteerStatus.APPLIED)


def test_a_volunteer_edit_on_the_current_version_is_saved(login, village_worker, chen):
    client = login(village_worker)
    url = f"/care/volunteers/{chen.pk}/edit/"
    form = volunteer_form(chen, client.get(url).content.decode(), notes="周末有空")

    response = client.post(url, form)

    assert response.status_code == 302
    chen.refresh_from_db()
    assert (chen.notes, chen.version) == ("周末有空", 2)


def test_a_stale_volunteer_edit_is_refused_with_409_and_keeps_the_input(
    login, village_worker, supervisor, chen
):
    url = f"/care/volunteers/{chen.pk}/edit/"
    zhang = login(village_worker)
    zhangs_form = volunteer_form(chen, zhang.get(url).content.decode(), notes="周末有空")
    volunteers.volunteer_update(user=supervisor, volunteer=chen, data={"capacity": 5},
                                version=1)  # fmt: skip

    response = zhang.post(url, zhangs_form)

    assert response.status_code == 409
    html = response.content.decode()
    assert html.index(STALE) < html.index('<form method="post" class="stack"')  # at the top
    assert 'value="周末有空"' in html
    chen.refresh_from_db()
    assert (chen.capacity, chen.notes, chen.version) == (5, "", 2)


def test_the_volunteer_service_refuses_a_stale_version(village_worker, supervisor, chen):
    volunteers.volunteer_update(user=supervisor, volunteer=chen, data={"capacity": 5}, version=1)

    with pytest.raises(ValidationError) as stale:
        volunteers.volunteer_update(user=village_worker, volunteer=chen,
                                    data={"notes": "周末有空"}, version=1)  # fmt: skip

    assert stale.value.messages == [STALE]
    chen.refresh_from_db()
    assert (chen.capacity, chen.notes) == (5, "")


def test_a_second_review_decision_on_a_stale_page_is_told_not_written(supervisor, chen):
    page_a, page_b = Volunteer.objects.get(pk=chen.pk), Volunteer.objects.get(pk=chen.pk)
    volunteers.volunteer_decide(user=supervisor, volunteer=page_a, approve=True,
                                record_checked=True, disqualifications=[])  # fmt: skip

    with pytest.raises(ValidationError) as refused:
        volunteers.volunteer_decide(user=supervisor, volunteer=page_b, approve=False,
                                    record_checked=True, disqualifications=[],
                                    reason="材料不全")  # fmt: skip

    assert refused.value.messages == ["该志愿者已审查完毕"]
    chen.refresh_from_db()
    assert (chen.status, chen.review_reason) == (VolunteerStatus.APPROVED, "")


def test_a_second_withdrawal_on_a_stale_page_is_told(supervisor, demo_areas):
    volunteer = make_volunteer("陈秀梅", VILLAGE)
    page_a, page_b = Volunteer.objects.get(pk=volunteer.pk), Volunteer.objects.get(pk=volunteer.pk)
    volunteers.volunteer_withdraw(user=supervisor, volunteer=page_a, reason="外出务工")

    with pytest.raises(ValidationError) as refused:
        volunteers.volunteer_withdraw(user=supervisor, volunteer=page_b, reason="搬家")

    assert refused.value.messages == ["只有已通过审查的志愿者可以退出"]
    volunteer.refresh_from_db()
    assert volunteer.review_reason == "外出务工"


def test_a_pairing_ended_on_a_stale_page_is_not_ended_twice(village_worker, supervisor, demo_areas):
    pairing = pair(make_person("李小明", VILLAGE), make_volunteer("陈秀梅", VILLAGE))
    page_a, page_b = Pairing.objects.get(pk=pairing.pk), Pairing.objects.get(pk=pairing.pk)
    today = timezone.localdate()
    pairings.pairing_end(user=village_worker, pairing=page_a, ended_on=today, reason="other",
                         note="孩子随父母外出")  # fmt: skip

    with pytest.raises(ValidationError):
        pairings.pairing_end(user=supervisor, pairing=page_b, ended_on=today, reason="other",
                             note="志愿者搬家")  # fmt: skip

    pairing.refresh_from_db()
    assert (pairing.end_note, pairing.ended_by) == ("孩子随父母外出", village_worker)


def test_a_concern_resolved_on_a_stale_page_is_told(village_worker, supervisor, demo_areas):
    person = make_person("李小明", VILLAGE)
    contact, _created = contacts.contact_log(user=village_worker, person=person, kind="home_visit",
                                             date=timezone.localdate(), concern=True)  # fmt: skip
    page_a, page_b = Contact.objects.get(pk=contact.pk), Contact.objects.get(pk=contact.pk)
    contacts.concern_resolve(user=supervisor, contact=page_a)
    first = Contact.objects.get(pk=contact.pk).concern_resolved_at

    with pytest.raises(ValidationError) as refused:
        contacts.concern_resolve(user=village_worker, contact=page_b)

    assert refused.value.messages == ["该事项不在关注名单上"]
    contact.refresh_from_db()
    assert (contact.concern_resolved_at, contact.concern_resolved_by) == (first, supervisor)


# --- a county's visiting rules -----------------------------------------------------


def rule_form(rule: ObligationRule, html: str, **changes) -> dict:
    return {
        "program": rule.program, "risk_level": rule.risk_level,
        "pairing_kind": rule.pairing_kind, "duty": rule.duty, "period": rule.period,
        "escalate_village_days": rule.escalate_village_days,
        "escalate_township_days": rule.escalate_township_days,
        "version": hidden(html, "version"), **changes,
    }  # fmt: skip


@pytest.fixture
def county_rule(county_admin) -> ObligationRule:
    """The county's own copy of the monthly visit to a proxy-parented child."""
    from shouwang.care.services.rules import rules_customise
    from shouwang.regions.models import Area

    rules_customise(user=county_admin, county=Area.objects.get(code=COUNTY))
    return ObligationRule.objects.get(county_id=COUNTY, program="left_behind_child",
                                      pairing_kind=CarerKind.PROXY_PARENT,
                                      duty=Duty.HOME_VISIT)  # fmt: skip


def test_a_rule_edit_on_the_current_version_is_saved(login, county_admin, county_rule):
    client = login(county_admin)
    url = f"/care/rules/{county_rule.pk}/edit/"
    form = rule_form(county_rule, client.get(url).content.decode(), period="week")

    assert client.post(url, form).status_code == 302

    county_rule.refresh_from_db()
    assert (county_rule.period, county_rule.version) == ("week", 2)


def test_a_stale_rule_edit_is_refused_with_409(login, county_admin, county_rule):
    from shouwang.care.services.rules import rule_save

    client = login(county_admin)
    url = f"/care/rules/{county_rule.pk}/edit/"
    form = rule_form(county_rule, client.get(url).content.decode(), period="week")
    rule_save(user=county_admin, county=county_rule.county, rule=county_rule,
              data={"escalate_village_days": 5}, version=1)  # fmt: skip

    response = client.post(url, form)

    assert response.status_code == 409
    assert STALE in response.content.decode()
    county_rule.refresh_from_db()
    assert (county_rule.period, county_rule.escalate_village_days) == ("month", 5)


def test_editing_a_default_after_the_county_made_its_copy_is_stale(login, county_admin):
    from shouwang.care.services.rules import rules_customise
    from shouwang.regions.models import Area

    default = ObligationRule.objects.get(county__isnull=True, program="left_behind_child",
                                         pairing_kind=CarerKind.PROXY_PARENT,
                                         duty=Duty.HOME_VISIT)  # fmt: skip
    client = login(county_admin)
    url = f"/care/rules/{default.pk}/edit/"
    form = rule_form(default, client.get(url).content.decode(), period="week")
    rules_customise(user=county_admin, county=Area.objects.get(code=COUNTY))  # someone else

    response = client.post(url, form)

    assert response.status_code == 409
    copy = ObligationRule.objects.get(
        county_id=COUNTY,
        program="left_behind_child",
        pairing_kind=CarerKind.PROXY_PARENT,
        duty=Duty.HOME_VISIT,
    )
    assert (copy.period, copy.version) == ("month", 1)
