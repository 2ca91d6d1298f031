"""The demo families: deterministic, valid, shaped like the seed county, enrolled by
the rules, audited, loaded once."""

import datetime as dt
import hashlib

import pytest

from shouwang.audit.models import AuditEntry
from shouwang.people.demo import people_demo_load
from shouwang.people.eligibility import ExitReason, Program
from shouwang.people.forms import id_index
from shouwang.people.identity import check_id_matches, parse_id_number
from shouwang.people.models import Enrollment, Household, Person, Proposal, Relation
from shouwang.people.names import SURNAME_READINGS
from shouwang.people.services.programs import RuleBook, reevaluate_all, verdicts_for
from shouwang.regions.models import Level

# A fixed day, so that ages, ID numbers and verdicts do not move with the calendar.
ON = dt.date(2025, 9, 1)
CHILD, DIFFICULTY, WOMAN, ELDERLY = (
    Program.LEFT_BEHIND_CHILD,
    Program.CHILD_IN_DIFFICULTY,
    Program.LEFT_BEHIND_WOMAN,
    Program.LEFT_BEHIND_ELDERLY,
)


@pytest.fixture
def county(demo_areas):
    """The demo county at a tenth of the seed figures."""
    return people_demo_load(scale=0.1, on=ON)


def _digest() -> str:
    people = sorted(
        (p.id_number, p.name, p.sex, p.birth_date.isoformat(), p.village_id, p.address)
        for p in Person.objects.all()
    )
    relations = sorted(
        (r.person.id_number, r.kind, r.name, r.id_number, r.work_city_id or "", r.employer)
        for r in Relation.objects.select_related("person")
    )
    enrollments = sorted(
        (e.person.id_number, e.program, e.started_on.isoformat(), str(e.ended_on))
        for e in Enrollment.objects.select_related("person")
    )
    return hashlib.sha256(repr((people, relations, enrollments)).encode()).hexdigest()


def _clear() -> None:
    Relation.objects.all().delete()  # before the people they point to
    Person.objects.all().delete()
    Household.objects.all().delete()


def test_the_same_seed_gives_the_same_people_and_another_seed_does_not(demo_areas):
    people_demo_load(scale=0.05, on=ON)
    first = _digest()
    _clear()
    people_demo_load(scale=0.05, on=ON)
    assert _digest() == first
    _clear()
    people_demo_load(scale=0.05, on=ON, seed=1)
    assert _digest() != first


def test_every_id_number_is_valid_unique_and_agrees_with_the_file(county):
    numbers = []
    # One file is the planted duplicate, registered without an ID number.
    assert Person.objects.filter(id_number_index__isnull=True).count() == 1
    for person in Person.objects.exclude(id_number_index__isnull=True):
        parsed = parse_id_number(person.id_number, today=ON)
        assert parsed.number == person.id_number
        assert check_id_matches(parsed, birth_date=person.birth_date, sex=person.sex) == {}
        assert person.id_number_index == id_index(person.id_number)
        numbers.append(person.id_number)
    assert len(numbers) == len(set(numbers)) == county["people"] - 1

    # Contact records: valid too, and never someone on file. The same relative on
    # several files (a father on his child's and his parents' files) is one person.
    names: dict[str, str] = {}
    for relation in Relation.objects.exclude(id_number=""):
        parsed = parse_id_number(relation.id_number, today=ON)
        assert parsed.birth_date == relation.birth_date
        assert names.setdefault(relation.id_number, relation.name) == relation.name
    assert not set(names) & set(numbers)


def test_the_enrolled_counts_are_a_tenth_of_the_seed_county(county):
    for program, figure in ((CHILD, 781), (WOMAN, 428), (ELDERLY, 2079)):
        assert county[program] == pytest.approx(figure / 10, rel=0.10)
    assert county[DIFFICULTY] > 0
    open_enrollments = Enrollment.objects.filter(ended_on__isnull=True)
    assert open_enrollments.filter(program=CHILD).count() == county[CHILD]


def test_every_enrolled_person_qualifies_and_a_refresh_proposes_nothing_new(county):
    book = RuleBook()
    pending_exits = set(
        Proposal.objects.filter(status="pending", action="exit").values_list("person", "program")
    )
    for enrollment in Enrollment.objects.filter(ended_on__isnull=True).select_related("person"):
        verdicts = {v.program: v for v, _rule in verdicts_for(enrollment.person, ON, book)}
        if (enrollment.person_id, enrollment.program) not in pending_exits:
            assert verdicts[enrollment.program].eligible, enrollment
        assert enrollment.started_on <= ON
        assert enrollment.rule.effective_from <= enrollment.started_on

    assert reevaluate_all(on=ON) == 0

    pending = Proposal.objects.filter(status="pending")
    assert 3 <= pending.count() <= 8
    exits = set(pending.filter(action="exit").values_list("exit_reason", flat=True))
    assert exits == {ExitReason.AGE_LIMIT, ExitReason.PARENTS_RETURNED}
    assert pending.filter(action="enroll", program=CHILD).exists()


def test_guardians_are_on_file_and_parents_away_work_in_real_cities(county):
    guardians = Relation.objects.filter(is_guardian=True, entrusted=True)
    assert guardians.exists()
    assert not guardians.filter(relative__isnull=True).exists()
    away = Relation.objects.filter(working_away=True)
    assert away.exists()
    for relation in away.select_related("work_province", "work_city"):
        assert relation.work_province.level == Level.PROVINCE
        assert relation.work_city.level == Level.CITY
        assert relation.work_city.parent_id == relation.work_province.code
        assert relation.employer
        assert 0 <= relation.months_away_12 <= 12


def test_surnames_with_special_readings_are_searchable_by_their_reading(county):
    special = [p for p in Person.objects.all() if p.name[0] in SURNAME_READINGS]
    assert special
    for person in special:
        reading = SURNAME_READINGS[person.name[0]].replace(" ", "")
        assert person.name_pinyin.startswith(reading), person.name


def test_every_record_is_audited_without_id_numbers_or_phones(county):
    for model in (Person, Household, Relation, Enrollment):
        audited = set(
            AuditEntry.objects.filter(
                content_type__app_label="people",
                content_type__model=model._meta.model_name,
                action=AuditEntry.Action.CREATE,
            ).values_list("object_pk", flat=True)
        )
        assert {str(pk) for pk in model.objects.values_list("pk", flat=True)} <= audited
    secrets = {p.id_number for p in Person.objects.exclude(id_number_index__isnull=True)} | {
        p.phone for p in Person.objects.exclude(phone="")
    }
    logged = " ".join(
        str(changes) for changes in AuditEntry.objects.values_list("changes", flat=True)
    )
    assert not any(secret in logged for secret in secrets)


def test_loading_again_changes_nothing(county):
    entries = AuditEntry.objects.count()
    assert people_demo_load(scale=0.1, on=ON) == county
    assert people_demo_load(scale=1.0, seed=2, on=ON) == county
    assert AuditEntry.objects.count() == entries


def test_a_county_without_villages_is_refused(demo_areas):
    with pytest.raises(ValueError, match="no villages"):
        people_demo_load(county_code="350725", scale=0.05, on=ON)


def test_the_demo_holds_one_possible_duplicate_to_review(county):
    from shouwang.people.models import DuplicateCandidate

    pair = DuplicateCandidate.objects.get(status="pending")
    assert pair.person_a.birth_date == pair.person_b.birth_date
    assert pair.person_a.name_pinyin == pair.person_b.name_pinyin
    assert pair.person_b.id_number == ""
