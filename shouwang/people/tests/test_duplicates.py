"""Duplicate files: finding candidate pairs, the review queue, the side-by-side
page, dismissing a pair for good, and merging (nothing linked is lost, nothing
filled is overwritten, the ID number moves with its blind index)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from stdnum.cn import ric

from shouwang.audit.models import AuditEntry
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.people import choices as c
from shouwang.people.eligibility import Program
from shouwang.people.forms import id_index, phone_index
from shouwang.people.identity import mask_id_number
from shouwang.people.models import DuplicateCandidate, Enrollment, Person, Verification
from shouwang.people.services.duplicates import duplicate_dismiss, duplicates_find, person_merge
from shouwang.people.services.persons import person_create, relation_save
from shouwang.people.services.surveys import person_verify, survey_round_open
from shouwang.regions.models import Area, Level

BORN = dt.date(2014, 5, 6)
WEITIAN_VILLAGE = "350724102200"
ZHENGHE, ZHENGHE_TOWN, ZHENGHE_VILLAGE = "350725000000", "350725100000", "350725100200"


def id_number(serial="123", born="20140506"):
    body = "350724" + born + serial
    return body + ric.calc_check_digit(body + "0")


def make_person(name, village=VILLAGE, *, birth=BORN, sex="M", **extra):
    data = {"name": name, "sex": sex, "birth_date": birth,
            "village": Area.objects.get(code=village), **extra}  # fmt: skip
    return person_create(user=None, data=data)


def enroll(person):
    return Enrollment.objects.create(
        person=person, program=Program.LEFT_BEHIND_CHILD, started_on=dt.date(2026, 1, 1)
    )


def pending():
    return DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.PENDING)


@pytest.fixture
def pair(demo_areas):
    """张伟 and 章伟: born the same day in the same village, names that read alike."""
    a = make_person("张伟")
    b = make_person("章伟")
    return DuplicateCandidate.objects.get(person_a=a, person_b=b)


@pytest.fixture
def zhenghe(demo_areas):
    """A second county with one village."""
    Area.objects.create(code=ZHENGHE, name="政和县", level=Level.COUNTY, parent_id="350700000000")
    Area.objects.create(code=ZHENGHE_TOWN, name="熊山街道", level=Level.TOWNSHIP, parent_id=ZHENGHE)
    Area.objects.create(code=ZHENGHE_VILLAGE, name="城西社区", level=Level.VILLAGE,
                        parent_id=ZHENGHE_TOWN)  # fmt: skip


# --- Finding ---------------------------------------------------------------------------


def test_creating_a_file_proposes_a_namesake_born_the_same_day(pair):
    assert (pair.person_a.name, pair.person_b.name) == ("张伟", "章伟")
    assert pair.status == DuplicateCandidate.Status.PENDING
    assert pair.score == 100.0  # same pinyin, zhangwei
    assert "出生日期相同" in pair.reason


def test_a_near_match_by_characters_is_proposed(demo_areas):
    make_person("欧阳明华")
    make_person("欧阳明")

    assert pending().count() == 1


@pytest.mark.parametrize(("other", "birth", "village"), [
    ("张伟", dt.date(2014, 5, 7), VILLAGE),  # another day
    ("李强", BORN, VILLAGE),  # another name
])  # fmt: skip
def test_no_pair_without_the_same_day_and_a_similar_name(demo_areas, other, birth, village):
    make_person("张伟")
    make_person(other, village, birth=birth)

    assert not DuplicateCandidate.objects.exists()


def test_no_pair_across_counties(zhenghe):
    make_person("张伟")
    make_person("张伟", ZHENGHE_VILLAGE)

    assert not DuplicateCandidate.objects.exists()


def test_a_pair_across_townships_of_the_county_is_proposed(demo_areas):
    make_person("张伟")
    make_person("张伟", WEITIAN_VILLAGE)

    assert pending().count() == 1


def test_files_with_different_id_numbers_are_two_people(demo_areas):
    make_person("张伟", id_number=id_number("123"))
    make_person("张伟", id_number=id_number("135"))

    assert not DuplicateCandidate.objects.exists()


def test_a_file_no_longer_active_is_not_proposed(demo_areas):
    gone = make_person("张伟")
    Person.objects.filter(pk=gone.pk).update(status=c.PersonStatus.DECEASED)

    make_person("章伟")

    assert not DuplicateCandidate.objects.exists()


def test_a_dismissed_pair_is_never_proposed_again(pair, supervisor):
    duplicate_dismiss(user=supervisor, candidate=pair)

    assert duplicates_find(person=pair.person_a) == []
    assert duplicates_find(person=pair.person_b) == []
    call_command("people", "find-duplicates", stdout=StringIO())
    pair.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.DISMISSED
    assert DuplicateCandidate.objects.count() == 1


def test_the_command_finds_pairs_and_is_safe_to_rerun(demo_areas):
    make_person("张伟")
    make_person("章伟")
    make_person("李强", birth=dt.date(2000, 1, 1))
    DuplicateCandidate.objects.all().delete()

    first, second = StringIO(), StringIO()
    call_command("people", "find-duplicates", "--county", "350724", stdout=first)
    call_command("people", "find-duplicates", "--county", "350724", stdout=second)

    assert "检查 2 份档案，新发现 1 对疑似重复，待核查共 1 对。" in first.getvalue()
    assert "检查 2 份档案，新发现 0 对疑似重复，待核查共 1 对。" in second.getvalue()


def test_the_command_limited_to_another_county_finds_nothing_here(zhenghe):
    make_person("张伟")
    make_person("章伟")
    DuplicateCandidate.objects.all().delete()

    out = StringIO()
    call_command("people", "find-duplicates", "--county", "350725", stdout=out)

    assert "新发现 0 对" in out.getvalue()
    assert not DuplicateCandidate.objects.exists()


def test_the_command_refuses_an_unknown_county(demo_areas):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="县级区划 999999 不存在"):
        call_command("people", "find-duplicates", "--county", "999999")


# --- Queue and compare page: scope ------------------------------------------------------


def test_the_supervisor_sees_the_pending_pairs_of_the_township(login, pair, supervisor):
    body = login(supervisor).get("/people/duplicates/").content.decode()

    assert "张伟" in body and "章伟" in body
    assert f'href="/people/duplicates/{pair.pk}/"' in body


def test_the_outsider_sees_no_pair_and_gets_404_for_the_compare_page(login, pair, outsider):
    client = login(outsider)

    assert "张伟" not in client.get("/people/duplicates/").content.decode()
    assert client.get(f"/people/duplicates/{pair.pk}/").status_code == 404
    response = client.post(f"/people/duplicates/{pair.pk}/decide/", {"decision": "dismiss"})
    assert response.status_code == 404


def test_a_pair_straddling_two_townships_is_for_the_county(login, demo_areas, supervisor,
                                                         county_admin):  # fmt: skip
    make_person("张伟")
    make_person("张伟", WEITIAN_VILLAGE)
    straddling = pending().get()

    assert login(supervisor).get(f"/people/duplicates/{straddling.pk}/").status_code == 404
    assert login(county_admin).get(f"/people/duplicates/{straddling.pk}/").status_code == 200


def test_the_village_worker_sees_pairs_in_the_village_but_may_not_decide(
    login, pair, village_worker
):
    client = login(village_worker)

    compare = client.get(f"/people/duplicates/{pair.pk}/")
    assert compare.status_code == 200
    assert "不是同一人</button>" not in compare.content.decode()
    response = client.post(f"/people/duplicates/{pair.pk}/decide/", {"decision": "dismiss"})
    assert response.status_code == 403
    assert 'href="/people/duplicates/"' not in client.get("/people/").content.decode()


def test_the_neighbour_does_not_see_a_pair_of_another_village(login, pair, neighbour):
    assert login(neighbour).get(f"/people/duplicates/{pair.pk}/").status_code == 404


@pytest.mark.parametrize("actor", ["leader", "volunteer", "auditor"])
def test_roles_without_the_registry_may_not_open_the_queue(login, pair, actor, request):
    assert login(request.getfixturevalue(actor)).get("/people/duplicates/").status_code == 403


def test_the_menu_offers_the_queue_to_the_supervisor(login, supervisor):
    body = login(supervisor).get("/people/duplicates/").content.decode()

    assert 'href="/people/duplicates/" aria-current="page">疑似重复</a>' in body


def test_decided_pairs_leave_the_queue(login, pair, supervisor):
    duplicate_dismiss(user=supervisor, candidate=pair)

    body = login(supervisor).get("/people/duplicates/").content.decode()

    assert "没有待核查的疑似重复档案。" in body


def test_the_queue_queries_do_not_grow_with_the_pairs(login, pair, supervisor):
    client = login(supervisor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/people/duplicates/").status_code == 200
        return len(captured)

    few = queries()
    for i in range(8):
        make_person(f"王{i}明", NEIGHBOUR_VILLAGE, birth=dt.date(2010, 1, 1 + i))
        make_person(f"汪{i}明", NEIGHBOUR_VILLAGE, birth=dt.date(2010, 1, 1 + i))
    assert pending().count() == 9
    assert queries() == few


def test_the_compare_page_shows_both_files_with_id_and_phone_masked(login, demo_areas, supervisor):
    number = id_number()
    make_person("张伟", id_number=number, phone="13912345678")
    make_person("章伟", address="郑墩镇上厝村8号")
    candidate = pending().get()

    body = login(supervisor).get(f"/people/duplicates/{candidate.pk}/").content.decode()

    assert number not in body and "13912345678" not in body
    assert f'<span class="mono">{mask_id_number(number)}</span>' in body
    assert '<span class="mono">139****5678</span>' in body
    assert "郑墩镇上厝村8号" in body
    assert "2014-05-06" in body
    assert 'name="decision" value="keep_a"' in body
    assert 'name="decision" value="keep_b"' in body
    assert 'name="decision" value="dismiss"' in body


# --- Deciding through the page ---------------------------------------------------------


def decide(client, candidate, decision):
    return client.post(f"/people/duplicates/{candidate.pk}/decide/", {"decision": decision},
                       follow=True)  # fmt: skip


def test_not_the_same_person_dismisses_the_pair(login, pair, supervisor):
    response = decide(login(supervisor), pair, "dismiss")

    pair.refresh_from_db()
    assert pair.status == DuplicateCandidate.Status.DISMISSED
    assert pair.decided_by == supervisor
    assert "已标记为不是同一人" in response.content.decode()


def test_keep_b_merges_a_into_b(login, pair, supervisor):
    response = decide(login(supervisor), pair, "keep_b")

    a = Person.objects.get(pk=pair.person_a_id)
    assert (a.status, a.merged_into_id) == (c.PersonStatus.MERGED, pair.person_b_id)
    assert f"已合并，保留 章伟 的档案（编号 {pair.person_b_id}）" in response.content.decode()


def test_deciding_twice_is_refused_in_chinese(login, pair, supervisor):
    client = login(supervisor)
    decide(client, pair, "dismiss")

    response = decide(client, pair, "keep_a")

    assert "该疑似重复已处理" in response.content.decode()
    assert Person.objects.get(pk=pair.person_b_id).status == c.PersonStatus.ACTIVE


def test_an_unknown_decision_is_not_found(login, pair, supervisor):
    response = login(supervisor).post(f"/people/duplicates/{pair.pk}/decide/", {"decision": "x"})

    assert response.status_code == 404


# --- Merging ---------------------------------------------------------------------------


def test_merge_moves_relations_enrollments_and_verifications(pair, supervisor):
    keep, retired = pair.person_a, pair.person_b
    relation_save(person=retired, data={"kind": c.RelationKind.FATHER, "name": "章大山"})
    grandma = make_person("王奶奶", birth=dt.date(1950, 1, 1))
    link = relation_save(person=grandma, data={"kind": c.RelationKind.OTHER_RELATIVE,
                                               "relative": retired})  # fmt: skip
    enroll(retired)
    survey = survey_round_open(user=supervisor, area=Area.objects.get(code="350724101000"),
                               title="摸底", starts_on=dt.date(2026, 11, 1),
                               ends_on=dt.date(2026, 12, 31))  # fmt: skip
    person_verify(user=supervisor, survey=survey, person=retired)

    person_merge(user=supervisor, candidate=pair, keep=keep)

    assert list(keep.relations.values_list("name", flat=True)) == ["章大山"]
    link.refresh_from_db()
    assert link.relative_id == keep.pk
    assert Enrollment.objects.get().person_id == keep.pk
    assert Verification.objects.get().person_id == keep.pk


def test_merge_ends_the_retired_files_enrollment_in_a_program_both_are_in(pair, supervisor):
    for person in (pair.person_a, pair.person_b):
        enroll(person)

    person_merge(user=supervisor, candidate=pair, keep=pair.person_a)

    enrollments = Enrollment.objects.filter(person=pair.person_a)
    assert enrollments.count() == 2
    assert enrollments.filter(ended_on__isnull=True).count() == 1
    assert enrollments.get(ended_on__isnull=False).exit_note == "档案合并"


def test_merge_fills_empty_fields_without_overwriting(demo_areas, supervisor):
    keep = make_person("张伟", address="上厝村1号", school="")
    make_person("章伟", address="下岭村2号", school="郑墩中心小学", illness="哮喘",
                difficulty_categories=["guardianship"])  # fmt: skip
    candidate = pending().get()

    person_merge(user=supervisor, candidate=candidate, keep=keep)

    keep.refresh_from_db()
    assert keep.name == "张伟"
    assert keep.address == "上厝村1号"
    assert keep.school == "郑墩中心小学"
    assert keep.illness == "哮喘"
    assert keep.difficulty_categories == ["guardianship"]


def test_merge_marks_the_retired_file_and_writes_one_audit_entry(pair, supervisor):
    keep, retired = pair.person_a, pair.person_b

    person_merge(user=supervisor, candidate=pair, keep=keep)

    retired.refresh_from_db()
    assert retired.status == c.PersonStatus.MERGED
    assert retired.merged_into == keep
    assert retired.status_changed_on is not None
    pair.refresh_from_db()
    assert (pair.status, pair.decided_by) == (DuplicateCandidate.Status.MERGED, supervisor)
    entry = AuditEntry.objects.get(object_pk=str(keep.pk), changes__has_key="merged_from")
    assert entry.actor == supervisor
    assert entry.additional_data["merge"]["retired"] == retired.pk
    assert entry.additional_data["merge"]["moved"]["relations"] == 0


def test_the_id_number_and_phone_move_to_a_keeper_without_them(demo_areas, supervisor):
    number = id_number()
    keep = make_person("张伟")
    retired = make_person("章伟", id_number=number, phone="13912345678")
    candidate = pending().get()

    person_merge(user=supervisor, candidate=candidate, keep=keep)

    keep.refresh_from_db()
    retired.refresh_from_db()
    assert (keep.id_number, keep.id_number_index) == (number, id_index(number))
    assert (retired.id_number, retired.id_number_index) == ("", None)
    assert (keep.phone, keep.phone_index) == ("13912345678", phone_index("13912345678"))
    assert Person.objects.get(id_number_index=id_index(number)) == keep
    entry = AuditEntry.objects.get(object_pk=str(keep.pk), changes__has_key="merged_from")
    assert {"id_number", "phone"} <= set(entry.additional_data["merge"]["filled"])


def test_the_keepers_own_id_number_stays(demo_areas, supervisor):
    number = id_number()
    keep = make_person("张伟", id_number=number)
    make_person("章伟")
    candidate = pending().get()

    person_merge(user=supervisor, candidate=candidate, keep=keep)

    keep.refresh_from_db()
    assert keep.id_number_index == id_index(number)


def test_files_with_different_id_numbers_are_not_merged(demo_areas, supervisor):
    a = make_person("张伟", id_number=id_number("123"))
    b = make_person("张伟", id_number=id_number("135"))
    candidate = DuplicateCandidate.objects.create(person_a=a, person_b=b, score=100, reason="手工")

    with pytest.raises(ValidationError, match="身份证号码不同"):
        person_merge(user=supervisor, candidate=candidate, keep=a)

    assert Person.objects.get(pk=b.pk).status == c.PersonStatus.ACTIVE


def test_files_recorded_as_each_others_relatives_are_not_merged(pair, supervisor):
    relation_save(person=pair.person_a, data={"kind": c.RelationKind.SIBLING,
                                              "relative": pair.person_b})  # fmt: skip

    with pytest.raises(ValidationError, match="互为家庭成员"):
        person_merge(user=supervisor, candidate=pair, keep=pair.person_a)


def test_a_stale_candidate_is_not_decided_twice(pair, supervisor):
    stale = DuplicateCandidate.objects.get(pk=pair.pk)
    person_merge(user=supervisor, candidate=pair, keep=pair.person_a)

    with pytest.raises(ValidationError, match="该疑似重复已处理"):
        person_merge(user=supervisor, candidate=stale, keep=pair.person_b)

    assert Person.objects.get(pk=pair.person_a_id).status == c.PersonStatus.ACTIVE


def test_the_other_pairs_of_the_retired_file_go_and_the_keepers_are_found_again(
    demo_areas, supervisor
):
    a = make_person("张伟")
    b = make_person("章伟")
    third = make_person("张玮")  # zhangwei as well
    assert pending().count() == 3

    person_merge(user=supervisor, candidate=pending().get(person_a=a, person_b=b), keep=a)

    assert list(pending().values_list("person_a", "person_b")) == [(a.pk, third.pk)]


def test_the_services_refuse_a_user_who_may_not_decide(pair, village_worker):
    with pytest.raises(PermissionDenied):
        duplicate_dismiss(user=village_worker, candidate=pair)
    with pytest.raises(PermissionDenied):
        person_merge(user=village_worker, candidate=pair, keep=pair.person_a)
