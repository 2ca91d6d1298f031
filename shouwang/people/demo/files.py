"""Files of the demo families, built in memory: households, people on file with
their derived columns, relations and enrollments, as unsaved model instances that
`shouwang.people.demo` writes in bulk.

Parents, husbands and grown children who are not on file are `Kin`: one person
behind the contact records on every file that lists them, so that a father who
comes home comes home on his child's file and on his parents' files alike.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from shouwang.people import choices as c
from shouwang.people.demo import values as v
from shouwang.people.eligibility import DifficultyCategory, Program, age_on
from shouwang.people.eligibility import birthday_on_or_after as birthday
from shouwang.people.forms import id_index, phone_index
from shouwang.people.models import EligibilityRule, Enrollment, Household, Person, Relation
from shouwang.people.names import name_pinyin
from shouwang.people.services.programs import RuleBook, verdicts_for
from shouwang.regions.models import Area

K = c.RelationKind


@dataclass
class Kin:
    """Someone not on file — a parent, husband or grown child — and the contact
    records made from them (one per file that lists them)."""

    name: str
    sex: str
    birth: dt.date
    id_number: str
    phone: str
    away: bool = True
    province: Area | None = None
    city: Area | None = None
    employer: str = ""
    months: int | None = None
    last_return: dt.date | None = None
    returned: bool = False
    living: bool = True
    health: str = c.Health.HEALTHY
    capacity: str = c.GuardianCapacity.FULL
    records: list[Relation] = field(default_factory=list)

    def stay_home(self, *, health: str = c.Health.HEALTHY, capacity: str = c.GuardianCapacity.FULL):
        self.away, self.province, self.city, self.employer = False, None, None, ""
        self.months = self.last_return = None
        self.health, self.capacity = health, capacity

    def die(self) -> None:
        self.stay_home()
        self.living, self.phone = False, ""

    def come_home(self, *, on: dt.date, months: int) -> None:
        """They came back from work on `on`: every record of them says so."""
        self.returned, self.last_return, self.months = True, on, months
        for relation in self.records:
            relation.returned = True
            relation.last_return_date = on
            relation.months_away_12 = months


@dataclass
class Plan:
    """A person to put on file, with their relations and enrollments."""

    person: Person
    relations: list[Relation] = field(default_factory=list)
    enrollments: list[Enrollment] = field(default_factory=list)
    refresh: bool = False  # run proposals_refresh once saved, to leave a pending proposal


class Files:
    """Makes the files of one family after another, drawing values from `values`.

    `open` counts the open enrollments planned per program. Enrollments follow the
    rule in force (`verdicts_for`), so refreshing proposals after saving finds
    nothing to propose — except on the plans marked `refresh`.
    """

    def __init__(self, *, values: v.Values, villages: list[Area], book: RuleBook):
        self.v = values
        self.rng = values.rng
        self.on = values.on
        self.book = book
        self.villages = villages
        # Some villages are bigger than others.
        weights = (self.rng.uniform(0.5, 1.6) for _village in villages)
        self.village_weights = list(itertools.accumulate(weights))
        self.households: list[Household] = []
        self.plans: list[Plan] = []
        self.open = dict.fromkeys(Program.values, 0)

    # --- People on file ---------------------------------------------------------------

    def household(self) -> Household:
        rng = self.rng
        village = rng.choices(self.villages, cum_weights=self.village_weights)[0]
        address = f"{village.name}{rng.randint(1, 12)}组{rng.randint(1, 99)}号"
        household = Household(village=village, address=address)
        self.households.append(household)
        return household

    def person(
        self,
        household: Household,
        *,
        sex: str,
        birth: dt.date,
        surname: str = "",
        name: str = "",
        phone: bool = False,
        **fields,
    ) -> Plan:
        """A file with its derived columns filled in, as the services would."""
        name = name or surname + self.v.given(sex, birth)
        pinyin, initials = name_pinyin(name)
        number = self.v.id_number(birth, sex)
        phone_number = self.v.phone() if phone else ""
        person = Person(
            name=name,
            sex=sex,
            birth_date=birth,
            id_number=number,
            id_number_index=id_index(number),
            phone=phone_number,
            phone_index=phone_index(phone_number) if phone_number else "",
            village=household.village,
            address=household.address,
            household=household,
            name_pinyin=pinyin,
            name_initials=initials,
            **fields,
        )
        plan = Plan(person)
        self.plans.append(plan)
        return plan

    def child(
        self, household: Household, *, surname: str, birth: dt.date, sex: str = "", name: str = ""
    ) -> Plan:
        rng = self.rng
        sex = sex or ("M" if rng.random() < 0.53 else "F")
        fields = self.v.schooling(age_on(birth, self.on), household.village)
        if rng.random() < 0.5:
            fields["personality"] = rng.choice(v.PERSONALITIES)
        if rng.random() < 0.6:
            fields["hobbies"] = "、".join(rng.sample(v.HOBBIES, rng.randint(1, 2)))
        return self.person(household, sex=sex, birth=birth, surname=surname, name=name, **fields)

    def adult(self, household: Household, *, sex: str, birth: dt.date, surname: str) -> Plan:
        plan = self.person(household, sex=sex, birth=birth, surname=surname, phone=True)
        if self.rng.random() < 0.03:
            plan.person.health = c.Health.SERIOUSLY_ILL
            plan.person.illness = self.rng.choice(v.ADULT_ILLNESSES)
        return plan

    def elder(
        self,
        household: Household,
        *,
        sex: str,
        birth: dt.date,
        surname: str,
        lives_alone: bool = False,
        ethnicity: str = "汉族",
    ) -> Plan:
        rng = self.rng
        age = age_on(birth, self.on)
        plan = self.person(
            household,
            sex=sex,
            birth=birth,
            surname=surname,
            ethnicity=ethnicity,
            phone=rng.random() < (0.75 if age < 80 else 0.45),
            lives_alone=lives_alone,
            income_sources=["farming", "relatives"],
        )
        person = plan.person
        roll = rng.random()
        if roll < 0.07:
            person.health = c.Health.SERIOUSLY_ILL
            person.illness = rng.choice(v.ELDERLY_ILLNESSES)
            person.medical_aid = rng.random() < 0.5
        elif roll < 0.12:
            person.health = c.Health.DISABLED
            person.disability_type = rng.choice(v.DISABILITY_TYPES[:4])
            person.disability_grade = rng.randint(2, 4)
        roll = rng.random()
        semi, full = (0.22, 0.30) if age >= 80 else (0.06, 0.08)
        if roll < semi:
            person.dependence = c.Dependence.SEMI
        elif roll < full:
            person.dependence = c.Dependence.FULL
        if rng.random() < 0.07:
            person.dibao = True
            person.income_sources = ["farming", "government_aid"]
        return plan

    def elders_of(
        self,
        household: Household,
        *,
        child: Kin,
        single: bool,
        min_age: int = 0,
        all_away: bool = False,
    ) -> list[Plan]:
        """The parents of `child` (one of them when `single`, widowed) on file in
        `household`, with `child` and their other children as contact records."""
        rng = self.rng
        surname = child.name[0]  # the grandfather's, which the child carries
        born = v.years_before(child.birth, rng.randint(22, 32)) - self.v.days(0, 364)
        mother_birth = min(born, self.v.adult_birth(min_age))
        father_birth = mother_birth - self.v.days(0, 5 * 365)
        siblings = [
            self.kin(
                rng.choice("MF"),
                min(child.birth + self.v.days(-6 * 365, 6 * 365), self.v.adult_birth(18)),
                surname,
                away=all_away or rng.random() < 0.94,
            )
            for _n in range(rng.choices([0, 1, 2, 3], [25, 40, 25, 10])[0])
        ]
        if single:
            sex = "F" if rng.random() < 0.65 else "M"
            members = [(sex, mother_birth if sex == "F" else father_birth)]
        else:
            members = [("M", father_birth), ("F", mother_birth)]
        elders = [
            self.elder(
                household,
                sex=sex,
                birth=birth,
                surname=surname if sex == "M" else self.v.surname(),
            )
            for sex, birth in members
        ]
        if len(elders) == 2:
            self.relate(elders[0], K.SPOUSE, relative=elders[1])
            self.relate(elders[1], K.SPOUSE, relative=elders[0])
        for elder in elders:
            for kin in [child, *siblings]:
                self.relate(elder, K.CHILD, kin=kin)
        return elders

    def grown_children(self, parent_birth: dt.date, surname: str) -> list[Kin]:
        """Grown children of an elderly person: away, except now and then one who
        works in the county (then the parent is not left behind)."""
        rng = self.rng
        born = v.years_before(parent_birth, -rng.randint(21, 30))
        local = rng.random() < 0.08
        children = []
        for n in range(rng.choices([1, 2, 3, 4, 5], [15, 35, 30, 14, 6])[0]):
            if born > self.v.adult_birth(18):
                break
            away = not (local and n == 0)
            children.append(self.kin(rng.choice("MF"), born, surname, away=away))
            born += self.v.days(400, 1800)
        return children

    # --- Facts on the file ------------------------------------------------------------

    def assess(self, kid: Plan, *, incapable_parent: bool, limited: bool) -> None:
        """Guardianship type and assessment of a left-behind child's file."""
        rng = self.rng
        person = kid.person
        if incapable_parent:
            person.guardianship_type = c.GuardianshipType.PARENT_INCAPABLE
        elif limited:
            person.guardianship_type = c.GuardianshipType.ENTRUSTED_INSUFFICIENT
        else:
            kinds = [c.GuardianshipType.GOOD, c.GuardianshipType.AVERAGE]
            person.guardianship_type = rng.choices(kinds, [55, 45])[0]
        if person.guardianship_type == c.GuardianshipType.GOOD:
            person.guardianship_assessment = c.GuardianshipAssessment.GOOD
        else:
            grades = [c.GuardianshipAssessment.AVERAGE, c.GuardianshipAssessment.POOR]
            person.guardianship_assessment = rng.choices(grades, [80, 20])[0]

    def poor(self, kid: Plan) -> None:
        kid.person.dibao = True
        kid.person.difficulty_categories = [DifficultyCategory.POVERTY.value]

    def disabled(self, kid: Plan) -> None:
        person = kid.person
        person.health = c.Health.DISABLED
        person.disability_type = self.rng.choice(v.DISABILITY_TYPES)
        person.disability_grade = self.rng.randint(1, 4)
        person.difficulty_categories = [DifficultyCategory.DISABILITY.value]

    def seriously_ill(self, kid: Plan) -> None:
        # 重病 is a local category the national default rule leaves disabled.
        kid.person.health = c.Health.SERIOUSLY_ILL
        kid.person.illness = self.rng.choice(v.CHILD_ILLNESSES)
        kid.person.difficulty_categories = [DifficultyCategory.SERIOUS_ILLNESS.value]

    def illness_or_disability(self) -> str:
        return self.rng.choice([c.Health.SERIOUSLY_ILL, c.Health.DISABLED])

    # --- Relations --------------------------------------------------------------------

    def kin(
        self,
        sex: str,
        birth: dt.date,
        surname: str,
        *,
        away: bool = True,
        months: int | None = None,
        partner: Kin | None = None,
    ) -> Kin:
        """Someone not on file; when `away`, with a destination, an employer and the
        months away. Couples often work in the same city, sometimes for one employer."""
        rng = self.rng
        kin = Kin(
            name=surname + self.v.given(sex, birth),
            sex=sex,
            birth=birth,
            id_number=self.v.id_number(birth, sex),
            phone=self.v.phone(),
            away=away,
        )
        if not away:
            return kin
        if partner and partner.away and rng.random() < 0.6:
            kin.province, kin.city = partner.province, partner.city
            kin.employer = partner.employer if rng.random() < 0.5 else self.v.employer(kin.city)
        else:
            kin.province, kin.city = self.v.destination()
            kin.employer = self.v.employer(kin.city)
        kin.months = months or self.v.months_away()
        kin.last_return = self.v.last_return(kin.months)
        return kin

    def relate(
        self,
        plan: Plan,
        kind: str,
        *,
        kin: Kin | None = None,
        relative: Plan | None = None,
        **flags,
    ) -> Relation:
        """A relation of `plan`: to another file (`relative`) or a contact record of `kin`."""
        relation = Relation(person=plan.person, kind=kind, **flags)
        if relative is not None:
            relation.relative = relative.person
        else:
            relation.name, relation.birth_date = kin.name, kin.birth
            relation.id_number, relation.phone = kin.id_number, kin.phone
            relation.living = kin.living
            relation.health, relation.capacity = kin.health, kin.capacity
            relation.working_away = kin.away or kin.returned
            relation.work_province, relation.work_city = kin.province, kin.city
            relation.employer, relation.months_away_12 = kin.employer, kin.months
            relation.last_return_date, relation.returned = kin.last_return, kin.returned
            kin.records.append(relation)
        plan.relations.append(relation)
        return relation

    def parents_of(self, kid: Plan, parents: Sequence[Kin], *, father: Kin) -> None:
        for parent in parents:
            self.relate(kid, K.FATHER if parent is father else K.MOTHER, kin=parent)

    def guardian(self, kid: Plan, guardian: Plan, kind: str, *, entrusted: bool = True) -> Relation:
        """`guardian` (on file) looks after `kid`; their capacity is limited when they
        are old, ill or dependent. Most have told the school and the village in writing."""
        rng = self.rng
        person = guardian.person
        limited = (
            age_on(person.birth_date, self.on) >= 78
            or person.dependence != c.Dependence.INDEPENDENT
            or person.health != c.Health.HEALTHY
            or rng.random() < 0.05
        )
        return self.relate(
            kid,
            kind,
            relative=guardian,
            is_guardian=True,
            entrusted=entrusted,
            capacity=c.GuardianCapacity.LIMITED if limited else c.GuardianCapacity.FULL,
            notified_school=bool(kid.person.school) and rng.random() < 0.85,
            notified_village=rng.random() < 0.9,
        )

    # --- Enrollment -------------------------------------------------------------------

    def settle(self, plan: Plan, *, at: dt.date | None = None) -> None:
        """Enroll `plan` in every program its file qualifies for on `at` (today)."""
        at = at or self.on
        for verdict, rule in verdicts_for(plan.person, at, self.book, plan.relations):
            if not verdict.eligible:
                continue
            enrollment = Enrollment(
                person=plan.person,
                program=verdict.program,
                started_on=self.started_on(plan.person, rule, at),
                rule=rule,
                reason=verdict.reason[:200],
            )
            plan.enrollments.append(enrollment)
            self.open[verdict.program] += 1

    def end(self, plan: Plan, program: str, on: dt.date, reason: str) -> None:
        for enrollment in plan.enrollments:
            if enrollment.program == program and enrollment.ended_on is None:
                enrollment.ended_on = max(on, enrollment.started_on)
                enrollment.exit_reason = reason
                self.open[program] -= 1

    def started_on(self, person: Person, rule: EligibilityRule, at: dt.date) -> dt.date:
        """A plausible enrollment date: after the rule took effect and the person first
        qualified by age, within the six years before `at`, at least two weeks before it."""
        qualified = person.birth_date + dt.timedelta(days=30)
        if "min_age" in rule.params:
            qualified = birthday(person.birth_date, rule.params["min_age"])
        low = max(rule.effective_from, qualified, v.years_before(at, 6))
        high = at - dt.timedelta(days=14)
        if low >= high:
            return min(low, at)
        return low + self.v.days(0, (high - low).days)
