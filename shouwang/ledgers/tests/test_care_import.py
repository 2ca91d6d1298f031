"""Importing the care network's ledgers — volunteers, pairings, contacts: each rule
of the pages at its boundary, matching (phone, name + area, ambiguous names),
scope, duplicates in the file, idempotence, an export importing back unchanged,
the audit, the indexes derived from contacts, and a fixed number of queries per
chunk.

张桂兰 (village worker of the first village of 郑墩镇) imports for her village;
吴丽萍 (township supervisor) for the township; 周明 (outsider, 渭田镇) has his own
volunteers and children, which her files must never touch.
"""

import datetime as dt
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shouwang.audit.context import acting_as
from shouwang.audit.models import AuditEntry
from shouwang.care.choices import ContactKind, VolunteerStatus
from shouwang.care.models import Contact, ContactMonth, LastContact, Pairing, PersonDue, Volunteer
from shouwang.care.selectors import obligations_for
from shouwang.care.services.due_dates import due_dates_refresh
from shouwang.care.tests.factories import ON_FILE, contact, make_elder, make_person, make_volunteer
from shouwang.care.tests.factories import pair as pair_row
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE, ZHENGDUN
from shouwang.ledgers import reading, selectors, writing
from shouwang.ledgers.care_import import CARE_IMPORTS
from shouwang.ledgers.columns import LEDGERS
from shouwang.people.models import Person, Relation

pytestmark = pytest.mark.django_db

D = dt.date
WEITIAN_VILLAGE = "350724102200"  # first village of 渭田镇, the outsider's


def id_number(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def boy(n: int = 1) -> str:
    """The ID number of the n-th boy born 2014-05-06 in 松溪县 (the factories' birthday)."""
    return id_number(f"35072420140506{2 * n - 1:03d}")


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


# --- rows, checks and commits -------------------------------------------------------


def raw_rows(key: str, rows) -> list[reading.RawRow]:
    """Rows as `reading` hands them over (every column, "" when empty), from row 2."""
    columns = LEDGERS[key].columns
    return [
        reading.RawRow(number, {col.key: row.get(col.key, "") for col in columns})
        for number, row in enumerate(rows, start=2)
    ]


def checker(user, key: str):
    make, _write = CARE_IMPORTS[key]
    return make(user=user, ledger=LEDGERS[key], today=None)


def check(user, key: str, *rows):
    return checker(user, key).check_chunk(raw_rows(key, rows))


def write(user, key: str, result) -> dict[str, int]:
    """What a commit does with a checked chunk: write it in the caller's transaction."""
    _make, write_rows = CARE_IMPORTS[key]
    with transaction.atomic(), acting_as(user):
        return write_rows(user=user, ledger=LEDGERS[key], checked=[c for c, _i in result])


def commit(user, key: str, *rows):
    result = check(user, key, *rows)
    assert not problems(result), problems(result)
    return write(user, key, result)


def outcomes(result) -> list[str]:
    return [checked.outcome for checked, _issues in result]


def problems(result) -> set[tuple[int, str, str]]:
    return {(i.row, i.column, i.message) for _checked, issues in result for i in issues}


def messages(result) -> list[str]:
    return [i.message for _checked, issues in result for i in issues]


def audited(model, obj):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_pk=str(obj.pk)
    )


def volunteer_row(name="陈志愿", area=VILLAGE, **extra):
    return {"name": name, "kind": "代理家长", "organisation": "村委", "area": area, **extra}


def pairing_row(volunteer="陈志愿", person="李小明", village=VILLAGE, started_on=None, **extra):
    return {
        "volunteer.name": volunteer,
        "person.name": person,
        "person.village": village,
        "kind": "代理家长",
        "started_on": started_on or today(),
        **extra,
    }


def contact_row(person="李小明", village=VILLAGE, date=None, kind="入户走访", **extra):
    return {
        "person.name": person,
        "person.village": village,
        "date": date or today(),
        "kind": kind,
        **extra,
    }


# --- volunteers ---------------------------------------------------------------------


def test_a_new_volunteer_is_registered_as_applied_with_an_audit_entry(village_worker):
    result = check(village_worker, "volunteers", volunteer_row(phone="13800001111", capacity=2))
    assert outcomes(result) == ["new"]
    assert not Volunteer.objects.exists()  # nothing written by the check
    assert write(village_worker, "volunteers", result) == {"created": 1, "updated": 0}
    volunteer = Volunteer.objects.get()
    assert (volunteer.status, volunteer.capacity, volunteer.area_id) == ("applied", 2, VILLAGE)
    assert volunteer.phone == "13800001111" and volunteer.phone_index
    assert volunteer.created_by == village_worker
    (entry,) = audited(Volunteer, volunteer)
    assert entry.additional_data["source"] == "ledger volunteers"
    assert entry.actor == village_worker
    assert entry.changes["phone"] == ["", "******"]  # never the number itself
    assert entry.changes["status"] == ["", "applied"]


def test_the_review_status_is_never_set_or_changed_by_a_file(village_worker):
    approved = make_volunteer("王审过", VILLAGE, status=VolunteerStatus.APPROVED)
    result = check(
        village_worker,
        "volunteers",
        volunteer_row("新人甲", status="已报名"),
        volunteer_row("新人乙", status="已通过"),
        volunteer_row("王审过", status="已通过"),
        volunteer_row("王审过", status="已报名", notes="想退回重审"),
    )
    assert outcomes(result) == ["new", "error", "unchanged", "error"]
    assert problems(result) >= {
        (3, "审查状态", "新登记的志愿者审查状态为“已报名”，不能通过导入设定；审查请在系统中进行"),
        (5, "审查状态", "审查状态不能通过导入更改（当前为“已通过”）；审查请在系统中进行"),
    }
    write(village_worker, "volunteers", result)
    approved.refresh_from_db()
    assert approved.status == "approved" and approved.notes == ""


def test_a_volunteer_matches_by_phone_else_by_name_and_area(village_worker):
    by_phone = make_volunteer("陈志原", VILLAGE, phone="13800001111")  # the file spells 陈志愿
    by_name = make_volunteer("李秀英", VILLAGE)
    make_volunteer("王芳", VILLAGE)
    make_volunteer("王芳", VILLAGE, phone="13900002222")
    result = check(
        village_worker,
        "volunteers",
        volunteer_row("陈志愿", phone="13800001111"),
        volunteer_row("李秀英", notes="退休教师"),
        volunteer_row("王芳"),
        volunteer_row("李秀英", area=ZHENGDUN),  # another area: someone else
    )
    assert outcomes(result) == ["update", "update", "error", "error"]
    assert (4, "联系电话", "该地区有多名同名志愿者，请填写其登记的联系电话") in problems(result)
    assert "不是您管辖范围内的村（社区）或乡镇" in messages(result)[-1]  # a village worker
    write(village_worker, "volunteers", result)
    by_phone.refresh_from_db()
    by_name.refresh_from_db()
    assert (by_phone.name, by_phone.version) == ("陈志愿", 2)
    assert by_name.notes == "退休教师"
    (entry,) = audited(Volunteer, by_name).filter(additional_data__source="ledger volunteers")
    assert entry.changes == {"notes": ["", "退休教师"]}


def test_the_area_must_be_a_township_or_village_in_scope(supervisor):
    result = check(
        supervisor,
        "volunteers",
        volunteer_row("镇上的", area=ZHENGDUN),
        volunteer_row("村里的", area=NEIGHBOUR_VILLAGE),
        volunteer_row("县里的", area="350724000000"),
        volunteer_row("外乡的", area=WEITIAN_VILLAGE),
    )
    assert outcomes(result) == ["new", "new", "error", "error"]
    assert problems(result) == {
        (4, "所在地区代码", "地区代码 350724000000 不是您管辖范围内的村（社区）或乡镇"),
        (5, "所在地区代码", "地区代码 350724102200 不是您管辖范围内的村（社区）或乡镇"),
    }


def test_capacity_cannot_drop_below_the_pairings_in_force(village_worker):
    carer = make_volunteer("陈志愿", VILLAGE, capacity=3)
    pair_row(make_person("李小明", VILLAGE), carer)
    pair_row(make_person("王小红", VILLAGE), carer)
    pair_row(make_person("张小华", VILLAGE), carer, ended_on=D(2024, 6, 1))  # not in force
    too_few = check(village_worker, "volunteers", volunteer_row(capacity=1))
    assert problems(too_few) == {(2, "可结对人数", "该志愿者当前结对 2 人，可结对人数不能少于此数")}
    assert outcomes(check(village_worker, "volunteers", volunteer_row(capacity=2))) == ["update"]
    too_many = check(village_worker, "volunteers", volunteer_row(capacity=31))
    assert outcomes(too_many) == ["error"]
    assert "30" in messages(too_many)[0]  # the model's own limit


def test_a_phone_known_outside_the_scope_is_an_error_and_that_volunteer_is_untouched(
    village_worker, outsider
):
    theirs = make_volunteer("周志愿", WEITIAN_VILLAGE, phone="13800001111")
    result = check(village_worker, "volunteers", volunteer_row("周志愿", phone="13800001111"))
    assert problems(result) == {
        (2, "联系电话", "该联系电话的志愿者已在其他地区登记，请联系县级管理员核实")
    }
    assert write(village_worker, "volunteers", result) == {"created": 0, "updated": 0}
    theirs.refresh_from_db()
    assert (theirs.area_id, theirs.version) == (WEITIAN_VILLAGE, 1)
    assert Volunteer.objects.count() == 1


def test_duplicate_volunteers_in_the_file_are_errors_on_the_later_row(village_worker):
    result = check(
        village_worker,
        "volunteers",
        volunteer_row("甲", phone="13800001111"),
        volunteer_row("乙", phone="13800001111"),
        volunteer_row("丙"),
        volunteer_row("丙", notes="又一行"),
    )
    assert outcomes(result) == ["new", "error", "new", "error"]
    assert problems(result) == {
        (3, "联系电话", "与第 2 行的联系电话相同"),
        (5, "", "与第 4 行是同一名志愿者（姓名、所在地区相同）"),
    }


def test_a_required_cell_left_empty_is_said_once(village_worker):
    result = check(village_worker, "volunteers", volunteer_row(kind=""))
    assert problems(result) == {(2, "类别", "请填写类别")}


def test_importing_volunteers_twice_changes_nothing_the_second_time(village_worker):
    rows = [volunteer_row(phone="13800001111", capacity=2), volunteer_row("李秀英", notes="教师")]
    commit(village_worker, "volunteers", *rows)
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    again = check(village_worker, "volunteers", *rows)
    assert outcomes(again) == ["unchanged", "unchanged"]
    assert write(village_worker, "volunteers", again) == {"created": 0, "updated": 0}
    assert Volunteer.objects.count() == 2
    assert not AuditEntry.objects.filter(id__gt=last).exists()


# --- pairings -----------------------------------------------------------------------


def test_a_new_pairing_is_written_audited_and_the_persons_due_dates_forgotten(village_worker):
    child = make_person("李小明", VILLAGE, id_number=boy())
    carer = make_volunteer("陈志愿", VILLAGE)
    due_dates_refresh(people=Person.objects.filter(pk=child.pk))
    assert PersonDue.objects.filter(person=child).exists()
    result = check(village_worker, "pairings", pairing_row(**{"person.id_number": boy()}))
    assert outcomes(result) == ["new"]
    assert write(village_worker, "pairings", result) == {"created": 1, "updated": 0}
    pairing = Pairing.objects.get()
    assert (pairing.person, pairing.volunteer, pairing.kind) == (child, carer, "proxy_parent")
    assert (pairing.started_on, pairing.created_by) == (today(), village_worker)
    (entry,) = audited(Pairing, pairing)
    assert entry.additional_data["source"] == "ledger pairings"
    assert entry.changes["person"] == ["", str(child.pk)]
    assert not PersonDue.objects.filter(person=child).exists()  # owed anew


def test_a_pairing_needs_an_approved_volunteer_with_a_place_left(village_worker):
    for name in ("甲", "乙", "丙"):
        make_person(name, VILLAGE)
    make_volunteer("报名人", VILLAGE, status=VolunteerStatus.APPLIED)
    full = make_volunteer("陈志愿", VILLAGE, capacity=2)
    pair_row(make_person("王小红", VILLAGE), full)
    result = check(
        village_worker,
        "pairings",
        pairing_row("报名人", "甲"),
        pairing_row("陈志愿", "乙"),  # the last place
        pairing_row("陈志愿", "丙"),  # taken by the row above
        pairing_row("陈志愿", "王小红", started_on=D(2024, 5, 1)),  # paired already
    )
    assert outcomes(result) == ["error", "new", "error", "error"]
    assert problems(result) == {
        (2, "志愿者姓名", "该志愿者未通过审查，不能结对"),
        (4, "志愿者姓名", "该志愿者已结对 2 人，达到可结对人数上限（2 人）"),
        (5, "志愿者姓名", "该志愿者已结对 2 人，达到可结对人数上限（2 人）"),
    }


def test_a_pairing_can_start_neither_before_the_file_nor_after_today(village_worker):
    for name in ("甲", "乙", "丙", "丁"):
        make_person(name, VILLAGE)  # on file since 2024-01-01
    make_volunteer("陈志愿", VILLAGE, capacity=10)
    result = check(
        village_worker,
        "pairings",
        pairing_row(person="甲", started_on=D(2023, 12, 31)),
        pairing_row(person="乙", started_on=ON_FILE),
        pairing_row(person="丙", started_on=days(1)),
        pairing_row(person="丁", started_on=today()),
    )
    assert outcomes(result) == ["error", "new", "error", "new"]
    assert problems(result) == {
        (2, "开始日期", "开始日期不能早于建档日期（2024-01-01）"),
        (4, "开始日期", "开始日期不能晚于今天"),
    }


def test_a_pairing_with_someone_no_longer_on_file_is_refused(village_worker):
    gone = make_person("李小明", VILLAGE)
    Person.objects.filter(pk=gone.pk).update(status="moved_out")
    make_volunteer("陈志愿", VILLAGE)
    result = check(village_worker, "pairings", pairing_row())
    assert problems(result) == {(2, "", "该档案已不在册，不能结对")}


def test_a_file_ends_a_pairing_under_the_rules_of_ending_one(village_worker):
    carer = make_volunteer("陈志愿", VILLAGE, capacity=10)
    open_ones = {
        name: pair_row(make_person(name, VILLAGE), carer, on=D(2024, 3, 1))
        for name in ("甲", "乙", "丙", "丁")
    }
    ended = pair_row(make_person("戊", VILLAGE), carer, on=D(2024, 3, 1), ended_on=D(2024, 6, 1))
    start = {"started_on": D(2024, 3, 1)}
    result = check(
        village_worker,
        "pairings",
        pairing_row(person="甲", ended_on=D(2024, 9, 1), end_reason="调整结对", **start),
        pairing_row(person="乙", ended_on=D(2024, 2, 29), end_reason="其他", **start),
        pairing_row(person="丙", ended_on=D(2024, 9, 1), **start),
        pairing_row(person="丁", end_reason="其他", **start),
        pairing_row(person="戊", ended_on=D(2024, 7, 1), end_reason="其他", **start),
        pairing_row(person="戊", ended_on=D(2024, 6, 1), **start),  # as it ended: unchanged
    )
    assert outcomes(result) == ["update", "error", "error", "error", "error", "error"]
    assert problems(result) == {
        (3, "结束日期", "结束日期不能早于开始日期"),
        (4, "结束原因", "请选择结束原因"),
        (5, "结束日期", "填写了结束原因，请同时填写结束日期"),
        (6, "结束日期", "该结对已结束"),
        (7, "", "与第 6 行是同一结对（志愿者、对象、类别、开始日期相同）"),
    }
    assert write(village_worker, "pairings", result) == {"created": 0, "updated": 1}
    first = Pairing.objects.get(pk=open_ones["甲"].pk)
    assert (first.ended_on, first.end_reason, first.ended_by) == (
        D(2024, 9, 1),
        "reassigned",
        village_worker,
    )
    assert audited(Pairing, first).get(additional_data__source="ledger pairings").changes == {
        "ended_on": ["", "2024-09-01"],
        "end_reason": ["", "reassigned"],
    }
    ended.refresh_from_db()
    assert ended.ended_on == D(2024, 6, 1)


def test_a_place_freed_by_an_earlier_row_can_be_taken(village_worker):
    carer = make_volunteer("陈志愿", VILLAGE, capacity=1)
    pair_row(make_person("甲", VILLAGE), carer, on=D(2024, 3, 1))
    make_person("乙", VILLAGE)
    rows = [
        pairing_row(
            person="甲", started_on=D(2024, 3, 1), ended_on=D(2024, 9, 1), end_reason="调整结对"
        ),
        pairing_row(person="乙"),
    ]
    result = check(village_worker, "pairings", *rows)
    assert outcomes(result) == ["update", "new"]
    assert write(village_worker, "pairings", result) == {"created": 1, "updated": 1}
    assert Pairing.objects.filter(volunteer=carer, ended_on__isnull=True).get().person.name == "乙"


def test_a_pairing_finds_its_volunteer_by_name_and_phone_and_its_person_by_id_or_name(
    village_worker,
):
    make_person("李小明", VILLAGE, id_number=boy(1))
    make_person("李小明", VILLAGE, id_number=boy(2))  # two children of the same name
    make_person("王小红", VILLAGE)
    make_volunteer("王芳", VILLAGE, phone="13800001111")
    make_volunteer("王芳", VILLAGE, phone="13900002222")
    result = check(
        village_worker,
        "pairings",
        pairing_row("王芳", "王小红"),
        pairing_row("王芳", "王小红", **{"volunteer.phone": "13900002222"}),
        pairing_row("王芳", "李小明", **{"volunteer.phone": "13800001111"}),
        pairing_row(
            "王芳", "李小明", **{"volunteer.phone": "13800001111", "person.id_number": boy(2)}
        ),
        pairing_row(
            "王芳", "李小红", **{"volunteer.phone": "13700003333", "person.id_number": boy(1)}
        ),
    )
    assert outcomes(result) == ["error", "new", "error", "new", "error"]
    assert problems(result) == {
        (2, "志愿者姓名", "有多名志愿者名为「王芳」，请填写志愿者联系电话"),
        (4, "结对对象身份证号码", "该村有多人名为「李小明」，请填写身份证号码"),
        (6, "志愿者联系电话", "找不到姓名为「王芳」、联系电话为该号码的志愿者"),
        (6, "结对对象姓名", "该身份证号码登记的姓名是「李小明」，与本行不符"),
    }


def test_out_of_scope_people_and_volunteers_are_errors_and_never_touched(village_worker, outsider):
    theirs = make_person("周小明", WEITIAN_VILLAGE, id_number=boy())
    their_carer = make_volunteer("周志愿", WEITIAN_VILLAGE)
    make_person("李小明", VILLAGE)
    make_volunteer("陈志愿", VILLAGE)
    result = check(
        village_worker,
        "pairings",
        pairing_row("陈志愿", "周小明", **{"person.id_number": boy()}),
        pairing_row("陈志愿", "周小明", WEITIAN_VILLAGE),
        pairing_row("周志愿", "李小明"),
    )
    assert outcomes(result) == ["error", "error", "error"]
    assert problems(result) == {
        (2, "结对对象身份证号码", "该身份证号码已在其他地区登记，请联系县级管理员核实"),
        (3, "村（社区）代码", "村（社区）代码 350724102200 不在您的管辖范围内"),
        (4, "志愿者姓名", "您的管辖范围内没有名为「周志愿」的志愿者"),
    }
    write(village_worker, "pairings", result)
    assert not Pairing.objects.exists()
    assert not audited(Person, theirs).filter(additional_data__source="ledger pairings").exists()
    assert their_carer.pairings.count() == 0


def test_importing_pairings_twice_changes_nothing_the_second_time(village_worker):
    make_person("李小明", VILLAGE, id_number=boy())
    make_volunteer("陈志愿", VILLAGE)
    rows = [
        pairing_row(**{"person.id_number": boy()}),
        pairing_row(person="李小明", started_on=ON_FILE, ended_on=D(2024, 2, 1), end_reason="其他"),
    ]
    rows.reverse()  # the ended pairing first: the open one comes after it
    commit(village_worker, "pairings", *rows)
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    again = check(village_worker, "pairings", *rows)
    assert outcomes(again) == ["unchanged", "unchanged"]
    assert write(village_worker, "pairings", again) == {"created": 0, "updated": 0}
    assert Pairing.objects.count() == 2
    assert not AuditEntry.objects.filter(id__gt=last).exists()


# --- contacts -----------------------------------------------------------------------


def test_an_imported_contact_brings_the_last_contact_the_month_and_the_due_date_up_to_date(
    village_worker,
):
    elder = make_elder("赵桂英", VILLAGE)  # enrolled since 2024, never visited: overdue
    due_dates_refresh(people=Person.objects.filter(pk=elder.pk))
    before = PersonDue.objects.get(person=elder).due_on
    result = check(village_worker, "contacts", contact_row("赵桂英", duration_minutes=30))
    assert outcomes(result) == ["new"]
    assert write(village_worker, "contacts", result) == {"created": 1, "updated": 0}
    visit = Contact.objects.get()
    assert (visit.kind, visit.date, visit.recorded_by, visit.duration_minutes) == (
        "home_visit",
        today(),
        village_worker,
        30,
    )
    assert LastContact.objects.get(person=elder, kind="home_visit").date == today()
    month = ContactMonth.objects.get(person=elder, month=today().replace(day=1))
    assert month.kinds == 1 << ContactKind.values.index("home_visit")
    after = PersonDue.objects.get(person=elder).due_on
    owed = obligations_for(Person.objects.filter(pk=elder.pk))
    assert after == min(o.due_on for o in owed) and after > before
    (entry,) = audited(Contact, visit)
    assert entry.additional_data["source"] == "ledger contacts"
    assert entry.changes["person"] == ["", str(elder.pk)]


def test_contact_rules_at_their_boundaries(village_worker):
    make_person("李小明", VILLAGE)  # on file since 2024-01-01
    carer = make_volunteer("陈志愿", VILLAGE)
    pair_row(Person.objects.get(name="李小明"), carer, on=D(2024, 3, 1))
    result = check(
        village_worker,
        "contacts",
        contact_row(date=days(1)),
        contact_row(date=today()),
        contact_row(date=D(2023, 12, 31)),
        contact_row(date=ON_FILE),
        contact_row(date=D(2024, 2, 29), **{"volunteer.name": "陈志愿"}),
        contact_row(date=D(2024, 3, 1), **{"volunteer.name": "陈志愿"}),
        contact_row(date=D(2024, 4, 1), kind="亲情通话"),
        contact_row(date=D(2024, 4, 2), duration_minutes=0),
        contact_row(date=D(2024, 4, 3), duration_minutes=1441),
        contact_row(date=D(2024, 4, 4), duration_minutes=1440),
    )
    assert outcomes(result) == [
        "error",
        "new",
        "error",
        "new",
        "error",
        "new",
        "error",
        "error",
        "error",
        "new",
    ]
    assert problems(result) == {
        (2, "日期", "联系日期不能晚于今天"),
        (4, "日期", "联系日期不能早于建档日期（2024-01-01）"),
        (6, "走访人（志愿者）", "该志愿者在该日期未与此人结对"),
        (8, "通话亲属", "亲情通话请选择与孩子通话的父亲或母亲"),
        (9, "时长（分钟）", "时长应在 1 到 1440 分钟之间"),
        (10, "时长（分钟）", "时长应在 1 到 1440 分钟之间"),
    }
    write(village_worker, "contacts", result)
    paired = Contact.objects.get(volunteer=carer)
    assert paired.pairing_kind == "proxy_parent"  # the duty it fulfils is the carer's


def test_a_family_call_names_the_parent_on_the_line(village_worker):
    ming = make_person("李小明", VILLAGE)
    father = Relation.objects.create(person=ming, kind="father", name="李大山", working_away=True)
    result = check(
        village_worker,
        "contacts",
        contact_row(date=D(2024, 4, 1), kind="亲情通话", **{"parent.kind": "父亲"}),
        contact_row(date=D(2024, 4, 2), kind="亲情通话", **{"parent.kind": "母亲"}),
        contact_row(date=D(2024, 4, 3), kind="亲情通话"),
        contact_row(date=D(2024, 4, 4), **{"parent.kind": "母亲"}),  # not a call: ignored
    )
    assert outcomes(result) == ["new", "error", "error", "new"]
    assert problems(result) == {
        (3, "通话亲属", "档案中没有该对象的母亲，请先在档案中登记"),
        (4, "通话亲属", "亲情通话请选择与孩子通话的父亲或母亲"),
    }
    write(village_worker, "contacts", result)
    call = Contact.objects.get(kind=ContactKind.FAMILY_CALL)
    assert (call.parent, call.date) == (father, D(2024, 4, 1))
    assert Contact.objects.get(date=D(2024, 4, 4)).parent is None
    assert audited(Contact, call).get().changes["parent"] == ["", str(father.pk)]


def test_contacts_are_only_ever_added(village_worker):
    child = make_person("李小明", VILLAGE)
    carer = make_volunteer("陈志愿", VILLAGE)
    pair_row(child, carer, on=D(2024, 3, 1))
    logged = contact(child, ContactKind.HOME_VISIT, D(2024, 5, 1), notes="原记录")
    result = check(
        village_worker,
        "contacts",
        contact_row(date=D(2024, 5, 1), notes="另写的情况"),  # already on file
        contact_row(date=D(2024, 5, 1), **{"volunteer.name": "陈志愿"}),  # by someone else
        contact_row(date=D(2024, 5, 1), kind="电话"),
        contact_row(date=D(2024, 5, 1), kind="电话", notes="重复"),
    )
    assert outcomes(result) == ["unchanged", "new", "new", "error"]
    assert problems(result) == {
        (5, "", "与第 4 行是同一条联系记录（对象、日期、方式、走访人相同）")
    }
    assert write(village_worker, "contacts", result) == {"created": 2, "updated": 0}
    logged.refresh_from_db()
    assert logged.notes == "原记录"
    assert Contact.objects.count() == 3


def test_of_two_volunteers_of_the_same_name_the_one_paired_that_day_is_meant(village_worker):
    child = make_person("李小明", VILLAGE)
    ours = make_volunteer("王芳", VILLAGE)
    make_volunteer("王芳", VILLAGE)
    pair_row(child, ours, on=D(2024, 3, 1))
    result = check(
        village_worker,
        "contacts",
        contact_row(date=D(2024, 5, 1), **{"volunteer.name": "王芳"}),
        contact_row(date=D(2024, 2, 1), **{"volunteer.name": "王芳"}),  # nobody paired yet
    )
    assert outcomes(result) == ["new", "error"]
    assert result[0][0].volunteer == ours
    assert problems(result) == {
        (3, "走访人（志愿者）", "有多名志愿者名为「王芳」，请填写志愿者联系电话")
    }


def test_a_contact_with_someone_outside_the_scope_is_an_error(village_worker, outsider):
    make_person("周小明", WEITIAN_VILLAGE, id_number=boy())
    result = check(
        village_worker,
        "contacts",
        contact_row("周小明", **{"person.id_number": boy()}),
        contact_row("周小明", village=NEIGHBOUR_VILLAGE),
    )
    assert problems(result) == {
        (2, "对象身份证号码", "该身份证号码已在其他地区登记，请联系县级管理员核实"),
        (3, "村（社区）代码", "村（社区）代码 350724101201 不在您的管辖范围内"),
    }
    write(village_worker, "contacts", result)
    assert not Contact.objects.exists()


def test_importing_contacts_twice_changes_nothing_the_second_time(village_worker):
    make_person("李小明", VILLAGE, id_number=boy())
    rows = [contact_row(**{"person.id_number": boy()}), contact_row(kind="电话", notes="通话")]
    commit(village_worker, "contacts", *rows)
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    again = check(village_worker, "contacts", *rows)
    assert outcomes(again) == ["unchanged", "unchanged"]
    assert write(village_worker, "contacts", again) == {"created": 0, "updated": 0}
    assert Contact.objects.count() == 2
    assert not AuditEntry.objects.filter(id__gt=last).exists()


# --- an export imports back unchanged ---------------------------------------------------


@pytest.fixture
def network(village_worker):
    """张桂兰's village: two children (one without ID number), her volunteers, one of
    the township's (she cannot see it, but sees its pairing), an ended and an open
    pairing, and contacts with and without a volunteer."""
    ming = make_person("李小明", VILLAGE, id_number=boy())
    hong = make_person("王小红", VILLAGE, sex="F")
    carer = make_volunteer("陈志愿", VILLAGE, phone="13800001111")
    make_volunteer("报名人", VILLAGE, status=VolunteerStatus.APPLIED, phone="0599-6234567")
    township = make_volunteer("镇志愿", ZHENGDUN)
    pair_row(ming, carer, on=ON_FILE, ended_on=D(2024, 6, 1))
    pair_row(ming, carer, on=D(2024, 7, 1))
    pair_row(hong, township, on=D(2024, 2, 1))
    contact(ming, ContactKind.HOME_VISIT, D(2024, 8, 1), volunteer=carer, notes="=1+1 不是公式")
    contact(hong, ContactKind.PHONE, D(2024, 8, 2), duration_minutes=15, concern=True)
    contact(hong, ContactKind.TALK, D(2024, 8, 3), volunteer=township)
    father = Relation.objects.create(person=ming, kind="father", name="李大山", working_away=True)
    contact(ming, ContactKind.FAMILY_CALL, D(2024, 8, 4), parent=father)
    contact(ming, ContactKind.FAMILY_CALL, D(2024, 8, 5))  # logged before the father was
    return ming, hong


@pytest.mark.parametrize("reveal", [True, False], ids=["revealed", "masked"])
@pytest.mark.parametrize("key", ["volunteers", "pairings", "contacts"])
def test_an_export_imports_back_with_no_change(village_worker, network, key, reveal):
    ledger = LEDGERS[key]
    model = {"volunteers": Volunteer, "pairings": Pairing, "contacts": Contact}[key]
    records = model.objects.visible_to(village_worker)
    out = io.BytesIO()
    count = writing.export_xlsx(selectors.ledger_rows(ledger, records), ledger, out, reveal=reveal)
    assert count == records.count() >= 2
    sheet = reading.read_ledger(out.getvalue(), "导出.xlsx", ledger, limits=reading.Limits())
    result = list(checker(village_worker, key).check(sheet.rows))
    assert problems(result) == set()
    assert outcomes(result) == ["unchanged"] * count


# --- queries ----------------------------------------------------------------------------


def queries(user, key: str, rows) -> tuple[int, int]:
    """The queries of checking one chunk of `rows` and of writing it."""
    chunk = raw_rows(key, rows)
    run = checker(user, key)
    with CaptureQueriesContext(connection) as checking:
        result = run.check_chunk(chunk)
    assert not problems(result), problems(result)
    with CaptureQueriesContext(connection) as writing_:
        write(user, key, result)
    return len(checking), len(writing_)


def test_volunteers_take_the_same_queries_for_2_rows_as_for_40(village_worker):
    for n in range(21):
        make_volunteer(f"老志愿{n}", VILLAGE)

    def rows(first, count):
        return [
            volunteer_row(f"新志愿{n}", phone=f"1380000{n:04d}")
            if n % 2
            else volunteer_row(f"老志愿{n // 2}", notes="更新")
            for n in range(first, first + count)
        ]

    assert queries(village_worker, "volunteers", rows(0, 2)) == queries(
        village_worker, "volunteers", rows(2, 40)
    )
    assert Volunteer.objects.filter(status="applied", name__startswith="新志愿").count() == 21


def test_pairings_take_the_same_queries_for_2_rows_as_for_40(village_worker):
    make_person("李小明", VILLAGE, id_number=boy())
    make_person("王小红", VILLAGE, sex="F")
    for n in range(42):
        make_volunteer(f"志愿{n}", VILLAGE)

    def rows(first, count):
        return [
            pairing_row(f"志愿{n}", "李小明", **{"person.id_number": boy()})
            if n % 2
            else pairing_row(f"志愿{n}", "王小红")
            for n in range(first, first + count)
        ]

    assert queries(village_worker, "pairings", rows(0, 2)) == queries(
        village_worker, "pairings", rows(2, 40)
    )
    assert Pairing.objects.count() == 42


def test_contacts_take_the_same_queries_for_2_rows_as_for_40(village_worker):
    ming = make_person("李小明", VILLAGE, id_number=boy())
    make_person("王小红", VILLAGE, sex="F")
    pair_row(ming, make_volunteer("陈志愿", VILLAGE))

    def rows(first, count):
        return [
            contact_row(
                "李小明", date=days(-n), **{"person.id_number": boy(), "volunteer.name": "陈志愿"}
            )
            if n % 2
            else contact_row("王小红", date=days(-n), kind="电话")
            for n in range(first, first + count)
        ]

    assert queries(village_worker, "contacts", rows(0, 2)) == queries(
        village_worker, "contacts", rows(2, 40)
    )
    assert Contact.objects.count() == 42
