"""Properties that must hold for every input, checked with generated data.

- ID numbers: a valid number, however it is typed (full-width digits, x, spaces,
  dashes, the legacy 15-digit form), parses to its birth date and sex; any one
  wrong digit and any swap of two neighbouring digits is caught; garbage raises
  IdNumberError and nothing else. Phones likewise.
- Eligibility: no one who has died or moved out is ever eligible, and no file
  that is closed or whose enrollments have ended is ever owed a contact or on an
  overdue list.
- Scoping: whatever the role and scope area, `visible_to` returns exactly the
  rows whose area code lies inside the scope — and nothing without a scope or
  the permission.

Examples that write to the database run in a savepoint rolled back after each
example, inside the test's own transaction (`rolled_back`).
"""

import datetime as dt
import itertools
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from shouwang.accounts.roles import Role
from shouwang.accounts.services import user_create
from shouwang.care.choices import CarerKind, ContactKind
from shouwang.care.models import Contact, Volunteer
from shouwang.care.selectors import obligations_for, overdue_for
from shouwang.care.services.due_dates import due_dates_refresh
from shouwang.care.tests.factories import contact, make_person, make_volunteer, pair
from shouwang.conftest import PASSWORD
from shouwang.core.demo import demo_area_rows
from shouwang.people.choices import PersonStatus
from shouwang.people.eligibility import (
    ExitReason,
    ParentFacts,
    PersonFacts,
    Program,
    RelativeAwayFacts,
    evaluate,
)
from shouwang.people.identity import (
    IdNumberError,
    PhoneError,
    normalize_id_number,
    normalize_phone,
    parse_id_number,
)
from shouwang.people.models import Enrollment, Person
from shouwang.protection.choices import CaseCategory
from shouwang.protection.models import ProtectionCase
from shouwang.regions.models import Area

# Reproducible in CI and patient with a busy 2-core machine; tests that write to
# the database take fewer examples.
PROPERTIES = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DB_PROPERTIES = settings(PROPERTIES, max_examples=40)

TODAY = dt.date(2026, 12, 1)


@contextmanager
def rolled_back():
    """What an example writes is undone when it ends, pass or fail."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- ID numbers -------------------------------------------------------------------

# Real county codes (the demo county, a Beijing district, Shenzhen's 南山区) and
# two stdnum does not know (a warning, never an error).
REGIONS = ["350724", "350702", "110101", "440305", "510104", "350799", "990101"]
WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in "0123456789Xx"}


def check_character(body: str) -> str:
    """ISO 7064 MOD 11-2, written out here rather than taken from the module."""
    value = (12 - sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11) % 11
    return "X" if value == 10 else str(value)


@st.composite
def id_numbers(draw, *, earliest=dt.date(1900, 1, 1), latest=TODAY):
    """(number, birth date, sex) of a valid 18-character ID number."""
    region = draw(st.sampled_from(REGIONS))
    birth = draw(st.dates(min_value=earliest, max_value=latest))
    sequence = draw(st.integers(min_value=0, max_value=999))
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + check_character(body), birth, "M" if sequence % 2 else "F"


@st.composite
def typed_as(draw, number: str) -> str:
    """`number` as a person might type or paste it: some characters full-width,
    a lower-case x, spaces, dashes and full-width spaces around and inside."""
    separators = st.sampled_from([" ", "-", "\u3000", "\t", "'"])
    characters = []
    for character in number:
        if character == "X":
            character = draw(st.sampled_from(["X", "x"]))
        if draw(st.booleans()):
            character = FULL_WIDTH[character]
        characters.append(character)
        if draw(st.integers(0, 5)) == 0:
            characters.append(draw(separators))
    padding = st.text(alphabet=" \u3000\t\n", max_size=2)
    return draw(padding) + "".join(characters) + draw(padding)


@PROPERTIES
@given(id_numbers())
def test_a_valid_number_gives_back_its_birth_date_and_sex(generated):
    number, birth, sex = generated
    parsed = parse_id_number(number, today=TODAY)
    assert (parsed.number, parsed.birth_date, parsed.sex) == (number, birth, sex)
    assert parsed.region_code == number[:6]


@PROPERTIES
@given(st.data(), id_numbers())
def test_however_a_number_is_typed_it_parses_the_same(data, generated):
    number, birth, sex = generated
    typed = data.draw(typed_as(number), label="typed")
    assert normalize_id_number(typed) == number
    parsed = parse_id_number(typed, today=TODAY)
    assert (parsed.number, parsed.birth_date, parsed.sex) == (number, birth, sex)


@PROPERTIES
@given(id_numbers(earliest=dt.date(1900, 1, 1), latest=dt.date(1999, 12, 31)))
def test_a_legacy_15_digit_number_becomes_the_18_digit_one(generated):
    number, birth, sex = generated
    legacy = number[:6] + number[8:17]
    assert normalize_id_number(legacy) == number
    parsed = parse_id_number(legacy, today=TODAY)
    assert (parsed.number, parsed.birth_date, parsed.sex) == (number, birth, sex)


@PROPERTIES
@given(st.data(), id_numbers())
def test_any_single_wrong_character_is_caught(data, generated):
    number, _birth, _sex = generated
    position = data.draw(st.integers(0, 17), label="position")
    alphabet = "0123456789X" if position == 17 else "0123456789"
    wrong = data.draw(st.sampled_from(alphabet.replace(number[position], "")), label="wrong")
    changed = number[:position] + wrong + number[position + 1 :]
    with pytest.raises(IdNumberError):
        parse_id_number(changed, today=TODAY)


@PROPERTIES
@given(st.data(), id_numbers())
def test_swapping_two_neighbouring_digits_is_caught(data, generated):
    number, _birth, _sex = generated
    position = data.draw(st.integers(0, 16), label="position")
    assume(number[position] != number[position + 1])
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    with pytest.raises(IdNumberError):
        parse_id_number(swapped, today=TODAY)


# Text that looks like an ID number more often than st.text() alone would.
number_like = st.text(alphabet="0123456789Xx０１２３４５６７８９ｘ -.E+\u3000\u200b", max_size=22)
garbage = st.one_of(st.text(max_size=40), number_like)


@PROPERTIES
@given(garbage)
def test_garbage_raises_only_the_modules_own_error(raw):
    try:
        parsed = parse_id_number(raw, today=TODAY)
    except IdNumberError as exc:
        assert str(exc)  # a message to show
        return
    # Whatever is accepted is a well-formed number with a right check character.
    assert len(parsed.number) == 18
    assert parsed.number[-1] == check_character(parsed.number[:17])


@PROPERTIES
@given(st.one_of(garbage, id_numbers().map(lambda g: g[0])))
def test_normalising_twice_changes_nothing(raw):
    once = normalize_id_number(raw)
    assert normalize_id_number(once) == once


@PROPERTIES
@given(garbage)
def test_a_number_parses_the_same_before_and_after_normalising(raw):
    def outcome(text):
        try:
            return parse_id_number(text, today=TODAY)
        except IdNumberError as exc:
            return str(exc)

    assert outcome(raw) == outcome(normalize_id_number(raw))


# --- Phones -------------------------------------------------------------------------

mobiles = st.builds(
    lambda second, rest: f"1{second}{rest:09d}",
    st.sampled_from("3456789"),
    st.integers(0, 10**9 - 1),
)


@st.composite
def typed_phone(draw, mobile: str) -> str:
    prefix = draw(st.sampled_from(["", "+86", "0086", "86", "+86 "]))
    characters = []
    for index, digit in enumerate(mobile):
        characters.append(FULL_WIDTH[digit] if draw(st.booleans()) else digit)
        if index in (2, 6) and draw(st.booleans()):
            characters.append(draw(st.sampled_from([" ", "-", "\u3000"])))
    return prefix + "".join(characters) + draw(st.sampled_from(["", " ", "\u3000"]))


@PROPERTIES
@given(st.data(), mobiles)
def test_however_a_mobile_is_typed_it_reads_as_its_11_digits(data, mobile):
    assert normalize_phone(data.draw(typed_phone(mobile), label="typed")) == mobile


@PROPERTIES
@given(st.one_of(st.text(max_size=30), st.text(alphabet="0123456789+-() ０１２８６", max_size=16)))
def test_a_phone_is_normalised_once_or_refused_with_the_modules_error(raw):
    try:
        number = normalize_phone(raw)
    except PhoneError:
        return
    assert normalize_phone(number) == number


# --- Eligibility ----------------------------------------------------------------------

months = st.one_of(st.none(), st.integers(0, 12))
parents = st.lists(
    st.builds(
        ParentFacts,
        role=st.sampled_from(["father", "mother"]),
        away=st.booleans(),
        months_away_12=months,
        capable=st.booleans(),
        living=st.booleans(),
    ),
    max_size=2,
    unique_by=lambda parent: parent.role,
)
relatives = st.builds(
    RelativeAwayFacts, away=st.booleans(), months_away_12=months, living=st.booleans()
)
facts = st.builds(
    PersonFacts,
    birth_date=st.dates(min_value=dt.date(1920, 1, 1), max_value=TODAY),
    sex=st.sampled_from(["M", "F"]),
    living=st.booleans(),
    moved_out=st.booleans(),
    parents=parents,
    married=st.booleans(),
    spouse=st.one_of(st.none(), relatives),
    children=st.lists(relatives, max_size=3),
    difficulty_categories=st.frozensets(
        st.sampled_from(["poverty", "disability", "guardianship", "orphan", "dibao_family"])
    ),
)


@PROPERTIES
@given(facts, st.sampled_from(Program.values))
def test_no_one_who_died_or_moved_out_is_ever_eligible(person, program):
    verdict = evaluate(program, {}, person, TODAY)
    if not person.living:
        assert (verdict.eligible, verdict.exit_reason) == (False, ExitReason.DECEASED)
    elif person.moved_out:
        assert (verdict.eligible, verdict.exit_reason) == (False, ExitReason.MOVED_OUT)
    if verdict.eligible:
        assert verdict.exit_reason is None


# Programs with default visiting rules (care migration 0002), and the others.
VISITED = [Program.LEFT_BEHIND_CHILD, Program.LEFT_BEHIND_ELDERLY]
AREA_ROWS = demo_area_rows()
VILLAGES = [row.code for row in AREA_ROWS if row.level == 5]


@st.composite
def files(draw):
    """One person's file: status, enrollments (open or ended, before or after
    the day looked at) and perhaps a 代理家长."""
    program = draw(st.sampled_from(Program.values))
    started = draw(st.integers(0, 400))  # days before today
    ended = draw(st.one_of(st.none(), st.integers(-30, started)))  # days before today
    return {
        "village": draw(st.sampled_from(VILLAGES[:20])),
        "status": draw(st.sampled_from(PersonStatus.values)),
        "elderly": program == Program.LEFT_BEHIND_ELDERLY,
        "enrollments": [(program, started, ended)]
        + draw(
            st.lists(
                st.tuples(
                    st.sampled_from([p for p in Program.values if p != program]),
                    st.integers(0, 400),
                    st.integers(-30, 0).map(lambda d: -d),  # ended, today or earlier
                ).filter(lambda e: e[2] <= e[1]),
                max_size=2,
                unique_by=lambda e: e[0],
            )
        ),
        "paired": draw(st.booleans()),
        "refreshed_while_open": draw(st.booleans()),
    }


def _on_file(today: dt.date, spec: dict) -> Person:
    birth = dt.date(1940, 3, 1) if spec["elderly"] else dt.date(2014, 5, 6)
    person = make_person(
        "张三", spec["village"], birth=birth, on_file=today - dt.timedelta(days=500), program=None
    )
    for program, started, ended in spec["enrollments"]:
        Enrollment.objects.create(
            person=person,
            program=program,
            started_on=today - dt.timedelta(days=started),
            ended_on=None if ended is None else today - dt.timedelta(days=ended),
            exit_reason="" if ended is None else ExitReason.OTHER,
        )
    return person


def _in_force(person: Person, program: str, on: dt.date) -> bool:
    return any(
        e.program == program and e.started_on <= on and (e.ended_on is None or e.ended_on > on)
        for e in person.enrollments.all()
    )


@DB_PROPERTIES
@given(st.lists(files(), min_size=1, max_size=4), st.sampled_from([0, 0, 45]))
def test_a_closed_file_or_an_ended_enrollment_is_never_owed_a_visit(demo_areas, specs, back):
    today = timezone.localdate() - dt.timedelta(days=back)
    with rolled_back():
        carer = make_volunteer("刘晓燕", VILLAGES[0], capacity=30)
        people = []
        for spec in specs:
            person = _on_file(today, spec)
            if spec["paired"]:
                pair(person, carer, on=today - dt.timedelta(days=450), kind=CarerKind.PROXY_PARENT)
            if spec["refreshed_while_open"]:
                due_dates_refresh(people=Person.objects.filter(pk=person.pk), today=today)
            # Closed behind the services' back: the lists must not trust any index.
            Person.objects.filter(pk=person.pk).update(status=spec["status"])
            people.append(person)
        everyone = Person.objects.all()

        owed = obligations_for(everyone, today=today)
        overdue = overdue_for(everyone, today=today)

        by_id = {p.pk: Person.objects.prefetch_related("enrollments").get(pk=p.pk) for p in people}
        for obligation in owed + overdue:
            person = by_id[obligation.person_id]
            assert person.status == PersonStatus.ACTIVE, obligation
            assert _in_force(person, obligation.program, today), obligation
        # Not vacuous: on file, in a visited program since long ago, never contacted.
        overdue_ids = {o.person_id for o in overdue}
        event(f"{len(overdue_ids)} of {len(people)} overdue")
        for person in by_id.values():
            long_in = any(
                e.program in VISITED
                and e.ended_on is None
                and e.started_on <= today - dt.timedelta(days=200)
                for e in person.enrollments.all()
            )
            if person.status == PersonStatus.ACTIVE and long_in:
                assert person.pk in overdue_ids, person.pk


# --- Scoping ----------------------------------------------------------------------------

LEVEL_DIGITS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
STAFF_SCOPES = {
    Role.SYSTEM_ADMIN: (1, 2, 3),
    Role.AUDIT_ADMIN: (1, 2, 3),
    Role.COUNTY_ADMIN: (3,),
    Role.TOWNSHIP_SUPERVISOR: (4,),
    Role.VILLAGE_WORKER: (5,),
    Role.LEADER: (1, 2, 3, 4),
}
# Rows go to three villages in each of three townships (the county seat, 郑墩镇,
# 渭田镇); scopes are those areas, their parents, and one township and one village
# where no row is — so that scopes both hit and miss.
TOWNSHIPS = ["350724001000", "350724101000", "350724102000"]
SCATTER_VILLAGES = [
    code
    for township in TOWNSHIPS
    for code in [row.code for row in AREA_ROWS if row.parent == township][:3]
]
SCATTER = TOWNSHIPS + SCATTER_VILLAGES
SCOPES_BY_LEVEL = {
    level: [row.code for row in AREA_ROWS if row.level == level] for level in (1, 2, 3)
} | {
    4: [*TOWNSHIPS, "350724200000"],
    5: [*SCATTER_VILLAGES, [row.code for row in AREA_ROWS if row.parent == TOWNSHIPS[1]][-1]],
}
_usernames = itertools.count()


def scopes(role: Role):
    """A scope area the role may have, at each level it may be scoped to, and now
    and then none at all."""
    areas = [code for level in STAFF_SCOPES[role] for code in SCOPES_BY_LEVEL[level]]
    return st.one_of(st.sampled_from(areas), st.just(None))


def _expected(user, role_perm: str, codes: dict[int, str]) -> set[int]:
    if user.scope_area is None or not user.has_perm(role_perm):
        return set()
    prefix = user.scope_area.code[: LEVEL_DIGITS[user.scope_area.level]]
    return {pk for pk, code in codes.items() if code.startswith(prefix)}


@pytest.mark.parametrize("role", list(STAFF_SCOPES))
@settings(DB_PROPERTIES, max_examples=15)
@given(
    st.data(),
    st.lists(st.sampled_from(SCATTER_VILLAGES), min_size=1, max_size=6),
    st.lists(st.sampled_from(SCATTER), max_size=3),
    st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_everyone_sees_exactly_the_rows_inside_their_scope(
    demo_areas, role, data, villages, volunteer_areas, assigned
):
    scope = data.draw(scopes(role), label="scope")
    with rolled_back():
        user = user_create(
            username=f"u{next(_usernames)}",
            password=PASSWORD,
            role=role,
            scope_area=Area.objects.get(code=scope) if scope else None,
        )
        files = [make_person("李四", code, program=None) for code in villages]
        people = {person.pk: person.village_id for person in files}
        contacts = {
            contact(person, ContactKind.PHONE, TODAY - dt.timedelta(days=1)).pk: code
            for person, code in zip(files, villages, strict=True)
        }
        volunteers = {make_volunteer("王五", code).pk: code for code in volunteer_areas}
        cases = {}
        for (pk, code), is_assigned in zip(people.items(), assigned, strict=False):
            case = ProtectionCase.objects.create(
                village_id=code, category=CaseCategory.MISSING, description="走失",
                discovered_at=timezone.now(), discovered_place="村口", reporter_name="赵六",
                state_since=timezone.now(),
            )  # fmt: skip
            case.people.add(pk)
            if is_assigned:
                case.assignees.add(user)
            cases[case.pk] = (code, is_assigned)

        def seen(model):
            return set(model.objects.visible_to(user).values_list("pk", flat=True))

        event(f"{role.value} sees {len(seen(Person))} of {len(people)} people")
        assert seen(Person) == _expected(user, "people.view_person", people)
        assert seen(Contact) == _expected(user, "care.view_contact", contacts)
        assert seen(Volunteer) == _expected(user, "care.view_volunteer", volunteers)
        in_scope = _expected(user, "protection.view_protectioncase",
                             {pk: code for pk, (code, _a) in cases.items()})  # fmt: skip
        if not user.has_perm("protection.oversee_cases"):
            in_scope = {pk for pk in in_scope if cases[pk][1]}  # need to know: assigned only
        assert seen(ProtectionCase) == in_scope
