"""The indicators of the work, each defined once. The dashboard, the township
evaluation, the quarterly report and the drill-through lists all call this module,
so a figure and the people behind it always agree.

Every indicator can be read three ways from the same definition:

(a) totals for an area — `Measures(prefix, digits=…).total(key)`;
(b) grouped by the areas one level down (the drill-down table, a ranking) —
    `Measures(...).by_area(key)`, from the same queries: the totals are the sums
    of the groups, since everyone lives in exactly one village;
(c) the people behind a figure — `people_behind(figure.drill, people, month=…)`,
    the same conditions as the count, as a queryset (the people list applies it).

Each indicator is a fixed number of grouped queries whatever the number of areas
(see `Measures`), and the rates are those of `care.rates`, called, not copied.

**Who is counted.** Every indicator about people counts the same people: files
on record (`PersonStatus.ACTIVE`) with an enrollment in a program in force on the
reference day (`counted`) — the rule `care.rates` uses. A month is measured up to
its reference day: its last day, or today for the current month. What has no
history is read as it stands today: overdue contacts, risk levels (a person's
latest assessment), the fields of a file, open cases.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shouwang.audit.models import changes_compact
from shouwang.care import rates as care_rates
from shouwang.care.rates import Month, enrolled
from shouwang.care.selectors import overdue_for
from shouwang.core.scoping import PREFIX_LENGTHS, code_range
from shouwang.dashboard import summaries
from shouwang.dashboard.models import AreaSummary
from shouwang.people import choices as pc
from shouwang.people.eligibility import DifficultyCategory, Program, years_before
from shouwang.people.models import Person, Relation, SurveyRound, Verification
from shouwang.protection.choices import CaseState
from shouwang.protection.models import Aid, CaseEvent, ProtectionCase, RiskGrade

# What counts as aid (cash by amount, goods by value) is the protection app's one
# definition (`selectors.support`); the dashboard groups it by any area level.
from shouwang.protection.selectors.support import AID_SUMS, totals_of
from shouwang.regions.models import Area

# --- the period and the people counted -------------------------------------------


@dataclass(frozen=True)
class Period:
    """The month read, and the day it is read on (`today`)."""

    month: Month
    today: dt.date

    @property
    def ref(self) -> dt.date:
        """The reference day: the month's last day, or today for the current month."""
        return self.month.reference_day(self.today)

    @property
    def now(self) -> dt.datetime:
        """The moment deadlines are compared with: now, or the end of `today`."""
        if self.today >= timezone.localdate():
            return timezone.now()
        return _local_midnight(self.today + dt.timedelta(days=1))

    @classmethod
    def of(cls, month: Month | None = None, today: dt.date | None = None) -> Period:
        today = today or timezone.localdate()
        return cls(month or Month.of(today), today)


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def counted(people: QuerySet[Person], ref: dt.date) -> QuerySet[Person]:
    """The people every indicator counts: files on record with an enrollment in
    force on `ref` (as `care.rates` counts them)."""
    return people.filter(enrolled(ref), status=pc.PersonStatus.ACTIVE)


def last_months(until: Month, n: int = 12) -> list[Month]:
    """The `n` months ending with `until`, oldest first."""
    months = [until]
    while len(months) < n:
        months.append(Month.of(months[-1].first - dt.timedelta(days=1)))
    return months[::-1]


# --- age bands -------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """Ages `low` to `high` in completed years on the reference day (None: no limit)."""

    key: str
    label: Promise
    low: int
    high: int | None


# Children as the quarterly report and the 2016 national survey band them (0–5,
# 6–13, 14–16); 17 only for children in difficulty (under 18). Adults by ten
# years from 18, so the women's range (20–59) and the elderly's (60+) split
# evenly; 80+ is the elderly file's 高龄.
BANDS: tuple[Band, ...] = (
    Band("0-5", _("0–5岁"), 0, 5),
    Band("6-13", _("6–13岁"), 6, 13),
    Band("14-16", _("14–16岁"), 14, 16),
    Band("17", _("17岁"), 17, 17),
    Band("18-29", _("18–29岁"), 18, 29),
    Band("30-39", _("30–39岁"), 30, 39),
    Band("40-49", _("40–49岁"), 40, 49),
    Band("50-59", _("50–59岁"), 50, 59),
    Band("60-69", _("60–69岁"), 60, 69),
    Band("70-79", _("70–79岁"), 70, 79),
    Band("80+", _("80岁及以上"), 80, None),
)
BAND_KEYS = {band.key: band for band in BANDS}


def band_of(age: int) -> str:
    """The key of the band an age falls in."""
    return next(b.key for b in BANDS if age >= b.low and (b.high is None or age <= b.high))


def band_expression(ref: dt.date) -> Case:
    """Each person's band on `ref`, from the birth date (an indexed column)."""
    whens = [
        When(birth_date__gt=years_before(ref, band.high + 1), then=Value(band.key))
        for band in BANDS
        if band.high is not None
    ]
    return Case(*whens, default=Value(BANDS[-1].key), output_field=CharField())


def band_condition(key: str, ref: dt.date) -> Q:
    """The people of band `key` on `ref`: the same split as `band_expression`."""
    band = BAND_KEYS[key]
    condition = Q()
    if band.low > 0:
        condition &= Q(birth_date__lte=years_before(ref, band.low))
    if band.high is not None:
        condition &= Q(birth_date__gt=years_before(ref, band.high + 1))
    return condition


# --- a complete file -------------------------------------------------------------


def _filled(*names: str) -> Q:
    return Q(*(~Q(**{name: ""}) for name in names))


def _has_relation(**lookups) -> Q:
    return Q(Exists(Relation.objects.filter(person=OuterRef("pk"), **lookups)))


def _health_detailed() -> Q:
    return (
        Q(health=pc.Health.HEALTHY)
        | (
            Q(health=pc.Health.DISABLED, disability_grade__isnull=False)
            & _filled("disability_type")
        )
        | (Q(health=pc.Health.SERIOUSLY_ILL) & _filled("illness"))
    )


def _child_required() -> list[tuple[Promise, Q]]:
    return [
        (
            _("就学状况；在校的填写学校"),
            _filled("schooling") & (~Q(schooling__in=pc.AT_SCHOOL) | _filled("school")),
        ),
        (_("监护类型和监护评估"), _filled("guardianship_type", "guardianship_assessment")),
        (
            _("父亲、母亲"),
            _has_relation(kind=pc.RelationKind.FATHER) & _has_relation(kind=pc.RelationKind.MOTHER),
        ),
        (_("监护人（含受委托监护人）"), _has_relation(is_guardian=True)),
    ]


def requirements() -> list[tuple[str, Promise, Q]]:
    """The mandatory fields of a file, as (program or "" for every file, what,
    condition). From the national registration form (domain.md §2) and the
    registry's own rules:

    - every file: name, sex, ethnicity, birth date and current address; the ID
      number unless the person has no registered hukou (children without an ID
      number exist); for the disabled the type and grade of disability, for the
      seriously ill the illness;
    - children (left-behind and in difficulty): schooling, and the school when at
      school; guardianship type and assessment; the father and the mother (alive
      or not, on file or not); a guardian (a relation marked guardian, the
      entrusted one included);
    - left-behind women: a phone number, and the spouse (the husband away);
    - left-behind elderly: at least one child (whereabouts and contacts are the
      elderly file's core).

    A person in two programs must meet both lists."""
    rows: list[tuple[str, Promise, Q]] = [
        (
            "",
            _("姓名、性别、民族、出生日期、现住址"),
            _filled("name", "sex", "ethnicity", "address"),
        ),
        (
            "",
            _("身份证号码（未登记户口的除外）"),
            Q(id_number_index__isnull=False) | Q(hukou_registered=False),
        ),
        ("", _("残疾的填写残疾类别和等级，患重病的填写疾病名称"), _health_detailed()),
    ]
    for program in (Program.LEFT_BEHIND_CHILD, Program.CHILD_IN_DIFFICULTY):
        rows += [(program, label, condition) for label, condition in _child_required()]
    rows += [
        (Program.LEFT_BEHIND_WOMAN, _("联系电话"), ~Q(phone_index="")),
        (Program.LEFT_BEHIND_WOMAN, _("配偶"), _has_relation(kind=pc.RelationKind.SPOUSE)),
        (
            Program.LEFT_BEHIND_ELDERLY,
            _("子女（至少一名）"),
            _has_relation(kind=pc.RelationKind.CHILD),
        ),
    ]
    return rows


def complete(ref: dt.date) -> Q:
    """A file holding every mandatory field of `requirements()` for the programs
    the person is enrolled in on `ref`."""
    condition = Q()
    by_program: dict[str, Q] = defaultdict(Q)
    for program, _label, required in requirements():
        if program:
            by_program[program] &= required
        else:
            condition &= required
    for program, required in by_program.items():
        condition &= ~enrolled(ref, program) | required
    return condition


# --- the survey round (动态管理) ---------------------------------------------------


def current_rounds(ref: dt.date, prefix: str = "") -> dict[str, int]:
    """{township code (9 digits): its current survey round's id} for the townships
    under `prefix` that have one: the latest round (by start date, then id) opened
    for the county or for the township that has started by `ref` — it stays current
    after its end date until the next one opens. One query (rounds are few)."""
    low, high = code_range(prefix[:6])
    found = SurveyRound.objects.filter(starts_on__lte=ref, area_id__gte=low, area_id__lte=high)
    latest: dict[str, tuple] = {}  # county (6) or township (9) prefix -> (starts_on, id)
    for area, starts_on, pk in found.values_list("area_id", "starts_on", "pk"):
        key = area[:6] if area[6:] == "000000" else area[:9]
        latest[key] = max(latest.get(key, (starts_on, pk)), (starts_on, pk))
    townships = Area.objects.filter(level=4, code__gte=low, code__lte=high)
    rounds = {}
    for code in townships.filter(code__startswith=prefix[:9]).values_list("code", flat=True):
        candidates = [latest[k] for k in (code[:6], code[:9]) if k in latest]
        if candidates:
            rounds[code[:9]] = max(candidates)[1]
    return rounds


def with_round(people: QuerySet[Person], ref: dt.date, prefix: str = "") -> QuerySet[Person]:
    """`people` (under `prefix`) annotated `_round`, their current round (NULL: none),
    from `current_rounds`: a CASE on the township, no subquery per person."""
    by_round: dict[int, list[str]] = defaultdict(list)
    for township, round_id in current_rounds(ref, prefix).items():
        by_round[round_id].append(township)
    whens = [
        When(_township__in=townships, then=Value(round_id))
        for round_id, townships in sorted(by_round.items())
    ]
    township = Substr("village_id", 1, 9)
    expression = Case(*whens, default=None, output_field=IntegerField()) if whens else None
    return people.alias(_township=township).annotate(
        _round=expression if expression is not None else Value(None, IntegerField())
    )


def _verified_in_round() -> Exists:
    """Verified in the `_round` annotated by `with_round`."""
    return Exists(Verification.objects.filter(person=OuterRef("pk"), round=OuterRef("_round")))


# --- figures ---------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One number: `value`, out of `total` when it is a share (None otherwise).
    `drill` names the people behind it for `people_behind` ("" when no list of
    people stands behind it, e.g. money or cases); that list has exactly `value`
    people."""

    label: str
    value: int | Decimal
    total: int | None = None
    drill: str = ""

    @property
    def percent(self) -> float | None:
        """Share in per cent, one decimal; None when nobody is counted."""
        if not self.total:
            return None
        return round(100 * self.value / self.total, 1)


Groups = dict[str, dict[str, Figure]]  # {area prefix: {part: Figure}}


def sum_figures(groups: Iterable[dict[str, Figure]]) -> dict[str, Figure]:
    """The parts of several areas added up (values, and totals where shares)."""
    result: dict[str, Figure] = {}
    for group in groups:
        for part, figure in group.items():
            seen = result.get(part)
            if seen is None:
                result[part] = figure
                continue
            total = None if seen.total is None else seen.total + (figure.total or 0)
            result[part] = replace(seen, value=seen.value + figure.value, total=total)
    return result


def _figures(
    key: str,
    counts: dict[str, dict[str, int]],
    *,
    label: Callable[[str], str],
    totals: dict[str, int] | None = None,
    parts: Iterable[str] = (),
    drill: bool = True,
) -> Groups:
    """Figures of every area for every part any area has (0 where it has none),
    so the groups add up to the totals."""
    order = list(parts)
    for area_counts in counts.values():
        order += [part for part in area_counts if part not in order]
    areas = set(counts) | set(totals or {})
    return {
        area: {
            part: Figure(
                label(part),
                counts.get(area, {}).get(part, 0),
                None if totals is None else totals.get(area, 0),
                f"{key}.{part}" if drill else "",
            )
            for part in order
        }
        for area in areas
    }


class UnknownDrill(ValueError):
    """A drill key that names no indicator, or no list of people."""


# --- the measures of an area -------------------------------------------------------


class Measures:
    """The indicators of everyone on file in an area (`prefix`, 2 to 12 digits of
    the code) for a period, grouped by the first `digits` of the village code (9:
    by township, 12: by village; `digits == len(prefix)`: one group, the area).

    Each source is rows of counts by area, read once when first needed: the people
    by area, sex, age band and program; the files (complete, current round,
    verified); the risk levels; the care rates (`care.rates.rate_rows`); the
    overdue obligations (`care.selectors.overdue_for`); the profile of the files;
    the cases by state; the aid. Areas do not add queries, and totals are the sums
    of the groups. The sources of people (all but cases and aid) are read from the
    stored summaries (`summaries.py`, `stored`, the setting DASHBOARD_SUMMARIES),
    which count each township with the plain queries here (`SOURCES`) and add
    them up; `stored=False` counts plainly."""

    def __init__(
        self,
        prefix: str,
        *,
        digits: int | None = None,
        month: Month | None = None,
        today: dt.date | None = None,
        stored: bool | None = None,
    ):
        self.prefix = prefix
        self.digits = max(digits or len(prefix), len(prefix))
        self.period = Period.of(month, today)
        self.people = Person.objects.in_area_prefix(prefix)
        self.stored = settings.DASHBOARD_SUMMARIES if stored is None else stored
        self.grades: dict[int, RiskGrade] = {}
        self._cache: dict[str, object] = {}

    @classmethod
    def of(
        cls, area, *, month: Month | None = None, today: dt.date | None = None, by_children=True
    ) -> Measures:
        """An area's measures, grouped by its children (by itself for a village or
        when `by_children` is false)."""
        level = min(area.level + 1, 5) if by_children else area.level
        return cls(area.prefix, digits=PREFIX_LENGTHS[level], month=month, today=today)

    def by_area(self, key: str) -> Groups:
        """{area prefix: {part: Figure}} of indicator `key`."""
        if key not in self._cache:
            self._cache[key] = INDICATORS[key].compute(self)
        return self._cache[key]

    def total(self, key: str) -> dict[str, Figure]:
        """{part: Figure} of indicator `key` over the whole area."""
        return sum_figures(self.by_area(key).values())

    # The sources, each read once.

    def _once(self, name: str, compute: Callable[[], object]):
        if name not in self._cache:
            self._cache[name] = compute()
        return self._cache[name]

    def _area(self, field: str = "village_id") -> Substr:
        return Substr(field, 1, self.digits)

    def rows(self, name: str) -> list[dict]:
        """The rows of source `name` (`SOURCES`) for this area and period."""

        def read():
            day = self.period.today if name == OVERDUE else self.period.ref
            changes = None
            if self.stored:  # one read of the change log for every source
                changes = self._once("_changes", lambda: summaries.Changes(self.prefix))
            found = source_rows(
                name, self.prefix, self.digits, [day], stored=self.stored, changes=changes
            )
            return found[day]

        return self._once(f"_{name}", read)

    def demography(self) -> list[dict]:
        """Rows of area, sex, band, in_<program> for each program, n."""
        return self.rows("demography")

    def counted_by_area(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for row in self.demography():
            totals[row["area"]] += row["n"]
        return dict(totals)

    def files(self) -> list[dict]:
        """Rows of area, complete, in_round, verified, n."""
        return self.rows("files")

    def risk(self) -> list[dict]:
        """Rows of area, risk_grade (id or None), n; fills `grades`."""
        found = self.rows("risk")
        ids = {row["risk_grade"] for row in found if row["risk_grade"] is not None}
        if ids - set(self.grades):
            self.grades.update(RiskGrade.objects.select_related("scale").in_bulk(ids))
        return found

    def rates(self) -> dict[str, dict[str, care_rates.Rate]]:
        return self._once("_rates_by_area", lambda: care_rates.rates_from_rows(self.rows("rates")))

    def overdue(self) -> list[dict]:
        """Rows of area, people (overdue), obligations (overdue), as of today."""
        return self.rows(OVERDUE)

    def cases(self) -> list[dict]:
        """Rows of area, state, n, late (open past the deadline), reported (in the month)."""
        month = self.period.month
        start = _local_midnight(month.first)
        end = _local_midnight(self.period.ref + dt.timedelta(days=1))

        def rows():
            return list(
                ProtectionCase.objects.in_area_prefix(self.prefix)
                .annotate(area=self._area())
                .values("area", "state")
                .annotate(
                    n=Count("pk"),
                    late=Count(
                        "pk",
                        filter=~Q(state=CaseState.CLOSED) & Q(deadline_at__lt=self.period.now),
                    ),
                    reported=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
                )
                .order_by()
            )

        return self._once("_cases", rows)

    def aid(self) -> list[dict]:
        """Rows of area and the aid sums of the month (up to its reference day):
        `AID_SUMS`, money as decimal strings."""
        return self.rows("aid")

    def profile(self) -> Groups:
        """{area: {"<program>.<trait>": Figure}}: the people counted in each program
        by the traits of their file (`TRAITS`: guardianship, schooling, health,
        assistance, categories of difficulty, dependence, living alone) — one
        grouped query, the conditions of `profile_people`. Not in `INDICATORS`
        (the dashboard does not show it); the quarterly report reads it."""
        return self._once("_profile_groups", lambda: _profile_compute(self))


# --- the sources, counted plainly ---------------------------------------------------
#
# Each is one grouped query (overdue: `overdue_for`'s few) over `m.people`, rows by
# `m._area()`. `summaries.py` runs them for a township by village, and adds up.


def _program_flags(ref: dt.date) -> dict[str, ExpressionWrapper]:
    """in_<program>: enrolled in the program on `ref`, for each program."""
    return {
        f"in_{program}": ExpressionWrapper(enrolled(ref, program), BooleanField())
        for program in Program.values
    }


def _demography_rows(m: Measures) -> list[dict]:
    ref = m.period.ref
    flags = _program_flags(ref)
    return list(
        counted(m.people, ref)
        .annotate(area=m._area(), band=band_expression(ref), **flags)
        .values("area", "sex", "band", *flags)
        .annotate(n=Count("pk"))
        .order_by()
    )


def _files_rows(m: Measures) -> list[dict]:
    ref = m.period.ref
    return list(
        with_round(counted(m.people, ref), ref, m.prefix)
        .annotate(
            area=m._area(),
            complete=ExpressionWrapper(complete(ref), BooleanField()),
            in_round=ExpressionWrapper(Q(_round__isnull=False), BooleanField()),
            verified=ExpressionWrapper(_verified_in_round(), BooleanField()),
        )
        .values("area", "complete", "in_round", "verified")
        .annotate(n=Count("pk"))
        .order_by()
    )


def _risk_rows(m: Measures) -> list[dict]:
    return list(
        counted(m.people, m.period.ref)
        .annotate(area=m._area(), risk_grade=F("current_risk__grade_id"))
        .values("area", "risk_grade")
        .annotate(n=Count("pk"))
        .order_by()
    )


def _rates_rows(m: Measures) -> list[dict]:
    return care_rates.rate_rows(m.people, m.period.month, digits=m.digits, today=m.period.today)


def _overdue_rows(m: Measures) -> list[dict]:
    people: dict[str, set[int]] = defaultdict(set)
    obligations: dict[str, int] = defaultdict(int)
    for o in overdue_for(m.people, today=m.period.today):
        area = o.village_id[: m.digits]
        people[area].add(o.person_id)
        obligations[area] += 1
    return [
        {"area": area, "people": len(people[area]), "obligations": obligations[area]}
        for area in people
    ]


def _aid_rows(m: Measures) -> list[dict]:
    found = (
        Aid.objects.in_area_prefix(m.prefix)
        .filter(date__gte=m.period.month.first, date__lte=m.period.ref)
        .annotate(area=m._area("person__village_id"))
        .values("area")
        .annotate(**AID_SUMS)
        .order_by()
    )
    money = {"cash", "goods"}
    return [{k: str(v or 0) if k in money else v for k, v in row.items()} for row in found]


def _profile_rows(m: Measures) -> list[dict]:
    ref = m.period.ref
    flags = _program_flags(ref)
    return list(
        counted(m.people, ref)
        .annotate(area=m._area(), **flags)
        .values("area", *flags)
        .annotate(**{alias: Count("pk", filter=t.condition) for alias, t in _ALIASES.items()})
        .order_by()
    )


OVERDUE = "overdue"


def _plain(rows_of: Callable[[Measures], list[dict]]) -> summaries.Compute:
    """Count a township's rows by village on `day` (the reference day, or today)."""

    def compute(township: str, day: dt.date) -> list[dict]:
        m = Measures(township, digits=12, month=Month.of(day), today=day, stored=False)
        return rows_of(m)

    return compute


def source_rows(
    name: str,
    prefix: str,
    digits: int,
    days: list[dt.date],
    *,
    stored: bool,
    changes: summaries.Changes | None = None,
) -> dict[dt.date, list[dict]]:
    """{day: rows} of source `name` for an area grouped by `digits`: from the stored
    summaries when `stored` (and the grouping is one they keep; `changes`: the
    area's, when already read), else counted."""
    found = summaries.rows(SOURCES[name], prefix, digits, days, changes) if stored else None
    if found is not None:
        return found
    rows_of = _PLAIN[name]
    return {
        day: rows_of(Measures(prefix, digits=digits, month=Month.of(day), today=day, stored=False))
        for day in days
    }


# --- the indicators ----------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """One indicator: its label and definition (shown beside it), how it is counted
    for every area of a `Measures`, and — when people stand behind its figures —
    `people(people, period, part)`, the queryset behind the figure of `part`.
    `monthly`: read for the month chosen (else as of today)."""

    key: str
    label: Promise
    definition: Promise
    compute: Callable[[Measures], Groups]
    people: Callable[[QuerySet[Person], Period, str], QuerySet[Person]] | None = None
    monthly: bool = True


# 在册关爱对象: parts "<program>", "<program>.<sex>", "<program>.<band>", with
# "all" for everyone counted once (a left-behind child in difficulty is in two
# programs but one person).
ALL = "all"


def _people_label(part: str) -> str:
    program, _sep, detail = part.partition(".")
    name = str(_("全部") if program == ALL else Program(program).label)
    if detail in pc.Sex.values:
        return f"{name} · {pc.Sex(detail).label}"
    if detail in BAND_KEYS:
        return f"{name} · {BAND_KEYS[detail].label}"
    return name


def _people_compute(m: Measures) -> Groups:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in m.demography():
        programs = [ALL, *(p for p in Program.values if row[f"in_{p}"])]
        for program in programs:
            area = counts[row["area"]]
            area[program] += row["n"]
            if row["sex"] in pc.Sex.values:
                area[f"{program}.{row['sex']}"] += row["n"]
            area[f"{program}.{row['band']}"] += row["n"]
    parts = [
        f"{program}{suffix}"
        for program in (ALL, *Program.values)
        for suffix in ("", *(f".{s}" for s in pc.Sex.values), *(f".{b.key}" for b in BANDS))
    ]
    return _figures("people", counts, label=_people_label, parts=parts)


def _people_people(people, period: Period, part: str):
    program, _sep, detail = part.partition(".")
    found = counted(people, period.ref)
    if program != ALL:
        if program not in Program.values:
            raise UnknownDrill(part)
        found = found.filter(enrolled(period.ref, program))
    if detail in pc.Sex.values:
        return found.filter(sex=detail)
    if detail in BAND_KEYS:
        return found.filter(band_condition(detail, period.ref))
    if detail:
        raise UnknownDrill(part)
    return found


MET, UNMET = "met", "unmet"


def _share_label(met_label: Promise, unmet_label: Promise) -> Callable[[str], str]:
    return lambda part: str(met_label if part == MET else unmet_label)


def _complete_compute(m: Measures) -> Groups:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in m.files():
        counts[row["area"]][MET if row["complete"] else UNMET] += row["n"]
    return _figures(
        "complete",
        counts,
        label=_share_label(_("档案完整"), _("档案不完整")),
        totals=m.counted_by_area(),
        parts=(MET, UNMET),
    )


def _complete_people(people, period: Period, part: str):
    found = counted(people, period.ref)
    if part == MET:
        return found.filter(complete(period.ref))
    if part == UNMET:
        return found.exclude(complete(period.ref))
    raise UnknownDrill(part)


def _verified_compute(m: Measures) -> Groups:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    in_round: dict[str, int] = defaultdict(int)
    for row in m.files():
        if row["in_round"]:
            in_round[row["area"]] += row["n"]
            counts[row["area"]][MET if row["verified"] else UNMET] += row["n"]
    return _figures(
        "verified",
        counts,
        label=_share_label(_("本轮已核实"), _("本轮未核实")),
        totals=dict(in_round),
        parts=(MET, UNMET),
    )


def _verified_people(people, period: Period, part: str):
    found = with_round(counted(people, period.ref), period.ref).filter(_round__isnull=False)
    if part == MET:
        return found.filter(_verified_in_round())
    if part == UNMET:
        return found.exclude(_verified_in_round())
    raise UnknownDrill(part)


def _rate_compute(key: str) -> Callable[[Measures], Groups]:
    def compute(m: Measures) -> Groups:
        counts: dict[str, dict[str, int]] = {}
        totals: dict[str, int] = {}
        for area, area_rates in m.rates().items():
            r = area_rates.get(key)
            if r is None:
                continue
            counts[area] = {MET: r.numerator, UNMET: r.denominator - r.numerator}
            totals[area] = r.denominator
        return _figures(
            key,
            counts,
            label=_share_label(_("达标"), _("未达标")),
            totals=totals,
            parts=(MET, UNMET),
        )

    return compute


def _rate_people(key: str):
    def people_of(people, period: Period, part: str):
        if part not in (MET, UNMET):
            raise UnknownDrill(part)
        return care_rates.rate_people(
            key, people, period.month, met=part == MET, today=period.today
        )

    return people_of


def _overdue_compute(m: Measures) -> Groups:
    counts: dict[str, dict[str, int]] = {}
    for row in m.overdue():
        counts[row["area"]] = {"people": row["people"], "obligations": row["obligations"]}
    totals = m.counted_by_area()
    groups = _figures(
        "overdue",
        counts,
        label=lambda part: str(_("逾期未联系人数") if part == "people" else _("逾期事项")),
        totals=totals,
        parts=("people", "obligations"),
    )
    for figures in groups.values():  # no list of people has one row per obligation
        figures["obligations"] = replace(figures["obligations"], drill="", total=None)
    return groups


def _overdue_people(people, period: Period, part: str):
    if part not in ("", "people"):
        raise UnknownDrill(part)
    ids = {o.person_id for o in overdue_for(people, today=period.today)}
    return people.filter(pk__in=sorted(ids))


NOT_ASSESSED = "none"


def _risk_compute(m: Measures) -> Groups:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in m.risk():
        part = NOT_ASSESSED if row["risk_grade"] is None else str(row["risk_grade"])
        counts[row["area"]][part] += row["n"]
    grades = m.grades
    order = [str(g.pk) for g in sorted(grades.values(), key=lambda g: (g.scale_id, g.rank))]

    def label(part: str) -> str:
        if part == NOT_ASSESSED:
            return str(_("未评估"))
        grade = grades[int(part)]
        several = len({g.scale_id for g in grades.values()}) > 1
        return f"{grade.scale.name} {grade.label}" if several else grade.label

    return _figures(
        "risk",
        counts,
        label=label,
        totals=m.counted_by_area(),
        parts=[*order, NOT_ASSESSED],
    )


def _risk_people(people, period: Period, part: str):
    found = counted(people, period.ref)
    if part == NOT_ASSESSED:
        return found.filter(current_risk__isnull=True)
    if part.isdigit():
        return found.filter(current_risk__grade_id=int(part))
    raise UnknownDrill(part)


OPEN, LATE, REPORTED = "open", "overdue", "new"  # not states: "reported" is one
OPEN_STATES = [state for state in CaseState.values if state != CaseState.CLOSED]


def _cases_compute(m: Measures) -> Groups:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in m.cases():
        area = counts[row["area"]]
        if row["state"] != CaseState.CLOSED:
            area[row["state"]] += row["n"]
            area[OPEN] += row["n"]
        area[LATE] += row["late"]
        area[REPORTED] += row["reported"]
    labels = {
        OPEN: _("在办案件"),
        LATE: _("超过办理时限"),
        REPORTED: _("本月新报告"),
        **dict(CaseState.choices),
    }
    return _figures(
        "cases",
        counts,
        label=lambda part: str(labels[part]),
        parts=[OPEN, LATE, REPORTED, *OPEN_STATES],
        drill=False,
    )


AID_PARTS = {
    "total": _("慰问救助合计（元）"),
    "cash": _("慰问金（元）"),
    "goods": _("慰问品折合（元）"),
    "count": _("发放次数"),
    "people": _("受助人数"),
}


def _aid_compute(m: Measures) -> Groups:
    groups: Groups = {}
    for row in m.aid():
        totals = totals_of(row)
        values = {
            "total": totals.total,
            "cash": totals.cash,
            "goods": totals.goods,
            "count": totals.count,
            "people": totals.people,
        }
        groups[row["area"]] = {
            part: Figure(str(label), values[part]) for part, label in AID_PARTS.items()
        }
    return groups


DEFINITIONS = {
    "people": _(
        "在册（档案状态为在册）且在统计日有效纳入关爱项目的人数；同时属于两个项目的人"
        "在各项目中各计一次，合计中只计一次。年龄按统计日计算。"
    ),
    "complete": _(
        "在册关爱对象中，本人所在项目的必填项全部填写的比例（必填项见说明），按档案现状计算。"
    ),
    "verified": _(
        "所在县或乡镇已开展摸底排查的在册关爱对象中，在本轮（统计日前最近开始的一轮）已核实的比例。"
    ),
    "pairing_coverage": _("在册关爱对象中，统计日有结对帮扶人的比例。"),
    "monthly_visit": _(
        "在册留守老年人中，当月至少有一次探访（入户、电话、视频或健康检查）的比例，目标 100%。"
    ),
    "six_ones": _(
        "有代理家长的留守儿童中，当月完成谈心、检查作业、作业辅导、入户走访、共进亲情餐五项的比例。"
    ),
    "family_call": _("留守儿童中，当月与外出父母亲情通话的比例。"),
    "overdue": _("截至今天，按走访频次规则有逾期未完成的走访或联系的在册关爱对象人数。"),
    "risk": _("在册关爱对象按最近一次风险评估评定的等级；没有评估的计为未评估。"),
    "cases": _(
        "发生在本地区的保护案件：在办（未结案）的按状态，其中超过当前环节办理时限的，"
        "以及当月新报告的。只统计件数。"
    ),
    "aid": _("当月发放的慰问金和慰问品（按折合金额），发给外出务工亲属的计入本人名下。"),
}


def _indicator(key, label, compute, people=None, *, monthly=True) -> Indicator:
    return Indicator(key, label, DEFINITIONS[key], compute, people, monthly)


INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in [
        _indicator("people", _("在册关爱对象"), _people_compute, _people_people),
        _indicator("complete", _("档案完整率"), _complete_compute, _complete_people),
        _indicator("verified", _("本轮核实率"), _verified_compute, _verified_people),
        *(
            _indicator(key, care_rates.RATES[key][0], _rate_compute(key), _rate_people(key))
            for key in ("pairing_coverage", "monthly_visit", "six_ones", "family_call")
        ),
        _indicator("overdue", _("逾期未联系"), _overdue_compute, _overdue_people, monthly=False),
        _indicator("risk", _("风险等级分布"), _risk_compute, _risk_people),
        _indicator("cases", _("保护案件"), _cases_compute),
        _indicator("aid", _("慰问救助"), _aid_compute),
    ]
}


# --- the profile of a file (the quarterly report's columns) -----------------------
#
# The quarterly report counts the people of each program by what their file says:
# left-behind children by guardianship type, schooling, health and assistance;
# children in difficulty by category; the elderly by dependence and living alone.
# Each trait is one condition on `Person`; the count (`Measures.profile`) and the
# list behind it (`profile_people`, drill key `profile.<program>.<trait>`) apply
# the same condition to the same people (`counted`). A file's fields have no
# history: a past month reads them as they stand today (the report keeps its
# figures of a day in a snapshot, `reports.FigureSnapshot`).


@dataclass(frozen=True)
class Trait:
    """One trait of a file: `key` "<dimension>.<value>", its label, the condition.
    In an `exclusive` dimension everyone has exactly one trait (the values of a
    field, and 未填写 for an empty or unknown value), so its parts add up to the
    people counted; otherwise a person may have several or none (其中 columns)."""

    key: str
    label: Promise
    condition: Q


UNFILLED = "unfilled"


def _choice_traits(dimension: str, field: str, choices) -> list[Trait]:
    values = [value for value, _label in choices]
    traits = [Trait(f"{dimension}.{value}", label, Q(**{field: value})) for value, label in choices]
    traits.append(Trait(f"{dimension}.{UNFILLED}", _("未填写"), ~Q(**{f"{field}__in": values})))
    return traits


def _traits() -> dict[str, list[Trait]]:
    difficulty = [
        Trait(f"difficulty.{value}", label, Q(difficulty_codes__contains=f",{value},"))
        for value, label in DifficultyCategory.choices
    ]
    difficulty.append(Trait(f"difficulty.{UNFILLED}", _("未填写类别"), Q(difficulty_codes="")))
    assistance = [
        Trait(f"assistance.{field}", label, Q(**{field: True}))
        for field, label in pc.ASSISTANCE_FIELDS.items()
    ]
    assistance.append(
        Trait(
            "assistance.none",
            _("未享受救助"),
            Q(**{field: False for field in pc.ASSISTANCE_FIELDS}),
        )
    )
    return {
        "guardianship": _choice_traits(
            "guardianship", "guardianship_type", pc.GuardianshipType.choices
        ),
        "schooling": _choice_traits("schooling", "schooling", pc.Schooling.choices),
        "health": _choice_traits("health", "health", pc.Health.choices),
        "dependence": _choice_traits("dependence", "dependence", pc.Dependence.choices),
        "assistance": assistance,
        "difficulty": difficulty,
        "living": [Trait("living.alone", _("独居"), Q(lives_alone=True))],
    }


DIMENSIONS: dict[str, list[Trait]] = _traits()
EXCLUSIVE = frozenset({"guardianship", "schooling", "health", "dependence"})
TRAITS: dict[str, Trait] = {t.key: t for traits in DIMENSIONS.values() for t in traits}
PROFILE = "profile"
_ALIASES = {f"t{i}": trait for i, trait in enumerate(TRAITS.values())}  # column names


def profile_people(
    people: QuerySet[Person], *, program: str, trait: str, ref: dt.date
) -> QuerySet[Person]:
    """The people counted on `ref` in `program` whose file has `trait` — exactly
    those `Measures.profile` counts. Raises UnknownDrill."""
    if program not in Program.values or trait not in TRAITS:
        raise UnknownDrill(f"{program}.{trait}")
    return counted(people, ref).filter(enrolled(ref, program), TRAITS[trait].condition)


def _profile_compute(m: Measures) -> Groups:
    rows = m.rows("profile")
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        for program in Program.values:
            if row[f"in_{program}"]:
                for alias, trait in _ALIASES.items():
                    counts[row["area"]][f"{program}.{trait.key}"] += row[alias]
    parts = [f"{program}.{key}" for program in Program.values for key in TRAITS]
    return _figures(PROFILE, counts, label=_profile_label, parts=parts)


def _profile_label(part: str) -> str:
    program, _sep, trait = part.partition(".")
    if program not in Program.values or trait not in TRAITS:
        raise UnknownDrill(part)
    return f"{Program(program).label} · {TRAITS[trait].label}"


def _profile_people(people, period: Period, part: str):
    program, _sep, trait = part.partition(".")
    return profile_people(people, program=program, trait=trait, ref=period.ref)


# Indicators with a list of people behind their figures that the dashboard does not
# show: `people_behind` and the people list accept their drill keys.
DRILL_ONLY: dict[str, Indicator] = {
    PROFILE: Indicator(
        PROFILE,
        _("档案情况"),
        _("在册关爱对象按档案所填的监护类型、就学、健康、救助、困境类别等情况。"),
        lambda m: m.profile(),
        _profile_people,
    )
}


# --- the state of a case on a past day ----------------------------------------------


def case_state_at(moment: dt.datetime) -> Case:
    """A case's state at `moment`: its current state if that began by then, else the
    state the last `CaseEvent` up to then entered, else 已报告 (every case starts
    reported). So open cases have a history, from the events `case_transition`
    records; for `moment` now it is the current state."""
    entered = (
        CaseEvent.objects.filter(case=OuterRef("pk"), at__lte=moment)
        .order_by("-at", "-id")
        .values("to_state")[:1]
    )
    return Case(
        When(state_since__lte=moment, then=F("state")),
        default=Coalesce(Subquery(entered), Value(CaseState.REPORTED)),
        output_field=CharField(),
    )


def cases_open_at(prefix: str, *, digits: int, moment: dt.datetime) -> Groups:
    """The cases reported in the area by `moment` and open then, by area (the first
    `digits` of the village code) and the state they were in: parts `open` and each
    open state, as `cases` (counts of cases, no list). One query."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        ProtectionCase.objects.in_area_prefix(prefix)
        .filter(created_at__lte=moment)
        .annotate(area=Substr("village_id", 1, digits), state_at=case_state_at(moment))
        .values("area", "state_at")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        if row["state_at"] != CaseState.CLOSED:
            counts[row["area"]][row["state_at"]] += row["n"]
            counts[row["area"]][OPEN] += row["n"]
    labels = {OPEN: _("在办案件"), **dict(CaseState.choices)}
    return _figures(
        "cases",
        counts,
        label=lambda part: str(labels[part]),
        parts=[OPEN, *OPEN_STATES],
        drill=False,
    )


# --- trends ------------------------------------------------------------------------

TREND_RATES = ("monthly_visit", "six_ones", "family_call", "pairing_coverage")


def rate_trend(
    prefix: str, *, until: Month, months: int = 12, today: dt.date | None = None
) -> list[tuple[Month, dict[str, Figure]]]:
    """The care rates of an area for each of the `months` months ending with
    `until`, oldest first: the `rates` source of each month's reference day."""
    today = today or timezone.localdate()
    span = last_months(until, months)
    days = [month.reference_day(today) for month in span]
    found = source_rows("rates", prefix, len(prefix), days, stored=settings.DASHBOARD_SUMMARIES)
    trend = []
    for month, day in zip(span, days, strict=True):
        figures = {
            r.key: Figure(r.label, r.numerator, r.denominator, f"{r.key}.{MET}")
            for r in care_rates.rates_of(found[day])
            if r.key in TREND_RATES
        }
        trend.append((month, figures))
    return trend


def aid_trend(prefix: str, *, until: Month, months: int = 12, today: dt.date | None = None):
    """The aid of an area in each of the `months` months ending with `until`
    (up to today in the current month), oldest first: the `aid` source of each
    month's reference day — [(Month, protection Totals or None)]."""
    today = today or timezone.localdate()
    span = last_months(until, months)
    days = [month.reference_day(today) for month in span]
    found = source_rows("aid", prefix, len(prefix), days, stored=settings.DASHBOARD_SUMMARIES)
    return [
        (month, totals_of(found[day][0]) if found[day] else None)
        for month, day in zip(span, days, strict=True)
    ]


# --- drill-through -------------------------------------------------------------------


def parse_drill(drill: str) -> tuple[Indicator, str]:
    key, _sep, part = drill.partition(".")
    indicator = INDICATORS.get(key) or DRILL_ONLY.get(key)
    if indicator is None or indicator.people is None:
        raise UnknownDrill(drill)
    return indicator, part


def people_behind(
    drill: str, people: QuerySet[Person], *, month: Month, today: dt.date | None = None
) -> QuerySet[Person]:
    """The people behind the figure whose `drill` key this is, among `people` (a
    scoped queryset: the people list passes the user's). Raises UnknownDrill."""
    indicator, part = parse_drill(drill)
    return indicator.people(people, Period.of(month, today), part)


def drill_label(drill: str, month: Month) -> str:
    """What a drill-through list shows, in words: 月探访率 · 未达标（2026-05）."""
    indicator, part = parse_drill(drill)
    if indicator.key == "people":
        detail = _people_label(part or ALL)
    elif indicator.key == "overdue":
        return str(indicator.label)
    elif indicator.key == PROFILE:
        detail = _profile_label(part)
    elif indicator.key == "risk":
        detail = str(_("未评估")) if part == NOT_ASSESSED else _grade_label(part)
    else:
        detail = str(_("达标") if part == MET else _("未达标"))
        if indicator.key == "complete":
            detail = str(_("档案完整") if part == MET else _("档案不完整"))
        elif indicator.key == "verified":
            detail = str(_("本轮已核实") if part == MET else _("本轮未核实"))
    return f"{indicator.label} · {detail}（{month}）"


def _grade_label(part: str) -> str:
    grade = RiskGrade.objects.filter(pk=int(part)).first() if part.isdigit() else None
    if grade is None:
        raise UnknownDrill(part)
    return grade.label


def summaries_refresh(*, today: dt.date | None = None, months: int = 12) -> int:
    """The nightly job: every township of every province counted again from the
    records for `today`, every source (ages, enrollments in force and who is
    overdue move with the day), and the sums above them; the rates and aid of the
    trends' other `months` (closed months, which change only by writes) counted
    where the change log says they are stale. Then the days no one reads again deleted and
    the change log compacted. Returns how many summaries are kept."""
    today = today or timezone.localdate()
    closed = [month.last for month in last_months(Month.of(today), months)[:-1]]
    for source in SOURCES.values():
        summaries.rows(source, "", 2, [today], recount=True)
    for name in ("rates", "aid"):  # the trends
        summaries.rows(SOURCES[name], "", 2, closed)
    summaries.summaries_forget(before=today)
    changes_compact()
    return AreaSummary.objects.count()


# Each source once: its rows counted plainly; its counts; the changes of one month
# it counts (a contact changes the rates of its month and who is overdue, aid the
# aid of its month); and, for the two the trends read for every month, the models
# it reads — so that a relation, a verification or an assessment does not make 11
# closed months stale (None: every model; a test recounts after a change to each).
_N = frozenset({"n"})
_SOURCES = [
    ("demography", _demography_rows, _N, summaries.NO_MONTH, None),
    ("files", _files_rows, _N, summaries.NO_MONTH, None),
    ("risk", _risk_rows, _N, summaries.NO_MONTH, None),
    # `counted` (the file's status and village: an edit of its other fields is
    # `audit.models.PERSON_FIELDS`), `enrolled`, `paired_on`, contacts
    ("rates", _rates_rows, _N, summaries.OWN_MONTH,
     frozenset({"people.person", "people.enrollment", "care.pairing", "care.contact"})),
    (OVERDUE, _overdue_rows, frozenset({"people", "obligations"}), summaries.EVERY_MONTH, None),
    ("profile", _profile_rows, frozenset(_ALIASES), summaries.NO_MONTH, None),
    # the person's village; a relation deleted clears the aid's relative
    ("aid", _aid_rows, frozenset(AID_SUMS), summaries.OWN_MONTH,
     frozenset({"people.person", "people.relation", "protection.aid"})),
]  # fmt: skip
_PLAIN: dict[str, Callable[[Measures], list[dict]]] = {s[0]: s[1] for s in _SOURCES}
SOURCES: dict[str, summaries.Source] = {
    name: summaries.Source(name, counts, _plain(rows_of), months, models)
    for name, rows_of, counts, months, models in _SOURCES
}
