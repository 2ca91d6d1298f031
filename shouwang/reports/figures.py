"""The figures of the quarterly report (季度统计报表) and their layout, each counted
by the code that counts it everywhere else.

Who is counted and how is the dashboard's (`dashboard.indicators`): the people of
each program by sex and age band are `people`; the traits of their files
(guardianship, schooling, health, assistance, categories of difficulty,
dependence) are `Measures.profile`, whose drill keys lead to the same people; the
people paired are `pairing_coverage` (`care.rates`); the cases reported are the
`cases` indicator's month by month, the cases open on the day `cases_open_at`.
Only what no indicator counts is counted here, one grouped query each: the
volunteers, the pairings in force and the contacts of the quarter.

`area_figures(area, as_of=…)` counts them for a county (rows: its townships) or a
township (rows: its villages), as a plain dict that a snapshot stores as JSON;
`LAYOUT` says which figure goes in which column of which table, with the groups
of columns that must add up to a total; `consistency_errors` checks them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shouwang.care.choices import ContactKind, VolunteerStatus
from shouwang.care.models import Contact, Pairing, Volunteer
from shouwang.care.rates import Month
from shouwang.core.scoping import PREFIX_LENGTHS
from shouwang.dashboard import indicators as ind
from shouwang.dashboard.indicators import DIMENSIONS, Measures
from shouwang.people import choices as pc
from shouwang.people.eligibility import Program
from shouwang.protection.choices import CaseState
from shouwang.protection.models import ProtectionCase
from shouwang.regions.models import Area

FORMAT = 1  # the shape of the figures dict; a snapshot of another shape is recounted
TOTAL = "total"  # the key of the 合计 row


# --- quarters ---------------------------------------------------------------------


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last(self) -> dt.date:
        return Month(self.year, 3 * self.number).last

    @property
    def months(self) -> list[Month]:
        return [Month(self.year, 3 * self.number - 2 + i) for i in range(3)]

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return _("%(year)s年第%(n)s季度") % {"year": self.year, "n": self.number}

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Quarter | None:
        """ "2026Q3" (or 2026q3, 2026-Q3); None when it is not a quarter."""
        year, _sep, number = text.strip().upper().replace("-", "").partition("Q")
        if not (year.isdigit() and number.isdigit()):
            return None
        quarter = cls(int(year), int(number))
        return quarter if 2000 <= quarter.year <= 2100 and 1 <= quarter.number <= 4 else None


# --- the layout -------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise


@dataclass(frozen=True)
class Group:
    """Columns under one heading. `of` names the total they belong to: with
    `adds_up` its parts add up to it (everyone is in exactly one of them),
    otherwise each is part of it (其中: someone may be in several or none)."""

    label: str | Promise
    columns: tuple[Column, ...]
    of: str = ""
    adds_up: bool = True


@dataclass(frozen=True)
class Table:
    key: str
    title: str | Promise
    groups: tuple[Group, ...]
    note: str | Promise = ""

    @property
    def columns(self) -> list[Column]:
        return [column for group in self.groups for column in group.columns]


def _traits(dimension: str, *, skip=()) -> tuple[Column, ...]:
    return tuple(
        Column(f"{dimension}.{t.key.split('.', 1)[1]}", t.label)
        for t in DIMENSIONS[dimension]
        if t.key.split(".", 1)[1] not in skip
    )


_SEXES = tuple(Column(sex, label) for sex, label in pc.Sex.choices)
_CHILD_BANDS = (
    Column("0-5", gettext_lazy("0–5岁")),
    Column("6-13", gettext_lazy("6–13岁")),
    Column("14-16", gettext_lazy("14–16岁")),
)
_T = gettext_lazy

LAYOUT: tuple[Table, ...] = (
    Table(
        "t1",
        _T("表1 留守儿童基本情况"),
        (
            Group(_T("总数"), (Column("total", _T("总数")),)),
            Group(_T("性别"), _SEXES, of="total"),
            Group(_T("年龄"), (*_CHILD_BANDS, Column("17+", _T("17岁及以上"))), of="total"),
            Group(
                _T("监护类型"),
                _traits("guardianship"),
                of="total",
            ),
            Group(_T("就学情况"), _traits("schooling"), of="total"),
            Group(_T("健康状况"), _traits("health"), of="total"),
            Group(
                _T("享受救助（其中）"),
                _traits("assistance"),
                of="total",
                adds_up=False,
            ),
        ),
        _T("一人可享受多项救助，救助各列不相加。"),
    ),
    Table(
        "t2",
        _T("表2 困境儿童"),
        (
            Group(_T("总数"), (Column("total", _T("总数")),)),
            Group(_T("性别"), _SEXES, of="total"),
            Group(
                _T("年龄"),
                (*_CHILD_BANDS, Column("17", _T("17岁")), Column("18+", _T("18岁及以上"))),
                of="total",
            ),
            Group(
                _T("困境类别（其中）"),
                _traits("difficulty"),
                of="total",
                adds_up=False,
            ),
            Group(
                _T("其中"),
                (Column("left_behind", _T("同为留守儿童")),),
                of="total",
                adds_up=False,
            ),
        ),
        _T("前三类为国家分类（国发〔2016〕36号），其余为地方分类；一人可属多类，类别各列不相加。"),
    ),
    Table(
        "t3",
        _T("表3 留守妇女、留守老年人"),
        (
            Group(_T("留守妇女"), (Column("women", _T("总数")),)),
            Group(
                _T("留守妇女年龄"),
                (
                    Column("women.-29", _T("29岁及以下")),
                    Column("women.30-39", _T("30–39岁")),
                    Column("women.40-49", _T("40–49岁")),
                    Column("women.50-59", _T("50–59岁")),
                    Column("women.60+", _T("60岁及以上")),
                ),
                of="women",
            ),
            Group(_T("留守老年人"), (Column("elderly", _T("总数")),)),
            Group(
                _T("留守老年人性别"),
                tuple(Column(f"elderly.{c.key}", c.label) for c in _SEXES),
                of="elderly",
            ),
            Group(
                _T("留守老年人年龄"),
                (
                    Column("elderly.-59", _T("59岁及以下")),
                    Column("elderly.60-69", _T("60–69岁")),
                    Column("elderly.70-79", _T("70–79岁")),
                    Column("elderly.80+", _T("80岁及以上")),
                ),
                of="elderly",
            ),
            Group(
                _T("留守老年人（其中）"),
                (
                    Column("elderly.living.alone", _T("独居")),
                    Column("elderly.assistance.tekun", pc.ASSISTANCE_FIELDS["tekun"]),
                    Column("elderly.dependence.semi", pc.Dependence.SEMI.label),
                    Column("elderly.dependence.full", pc.Dependence.FULL.label),
                ),
                of="elderly",
                adds_up=False,
            ),
        ),
    ),
    Table(
        "t4",
        _T("表4 关爱服务"),
        (
            Group(
                _T("志愿者"),
                (
                    Column("volunteers", _T("已通过审查")),
                    Column("volunteers.paired", _T("有结对的")),
                ),
            ),
            Group(_T("结对"), (Column("pairings", _T("结对关系（对）")),)),
            Group(_T("关爱对象"), (Column("counted", _T("在册关爱对象")),)),
            Group(_T("其中"), (Column("paired", _T("已结对")),), of="counted", adds_up=False),
            Group(_T("本季度联系"), (Column("contacts", _T("联系次数合计")),)),
            Group(
                _T("按联系方式"),
                tuple(Column(f"contacts.{k}", label) for k, label in ContactKind.choices),
                of="contacts",
            ),
        ),
        _T(
            "志愿者按其所在地区、结对和联系按关爱对象所在地区统计；"
            "联系次数为本季度初至统计日记录的走访和联系。"
        ),
    ),
    Table(
        "t5",
        _T("表5 保护案件"),
        (
            Group(
                _T("本季度"),
                (Column("new", _T("新报告")), Column("closed", _T("结案"))),
            ),
            Group(_T("统计日在办"), (Column("open", _T("在办合计")),)),
            Group(
                _T("在办案件所处环节"),
                tuple(Column(state, CaseState(state).label) for state in ind.OPEN_STATES),
                of="open",
            ),
        ),
        _T("只统计件数。本季度为季度初至统计日。"),
    ),
)
TABLES = {table.key: table for table in LAYOUT}


# --- counting ---------------------------------------------------------------------


def _value(figures: dict[str, ind.Figure], part: str) -> int:
    figure = figures.get(part)
    return int(figure.value) if figure is not None else 0


def _bands(people: dict[str, ind.Figure], program: str, keys: list[str]) -> int:
    return sum(_value(people, f"{program}.{key}") for key in keys)


_ALL_BANDS = [band.key for band in ind.BANDS]


def _others(*shown: str) -> list[str]:
    return [key for key in _ALL_BANDS if key not in shown]


def _row(
    people: dict[str, ind.Figure],
    profile: dict[str, ind.Figure],
    pairing: dict[str, ind.Figure],
    extra: dict[str, dict[str, int]],
) -> dict[str, dict[str, int]]:
    """The figures of one row (an area), table by table."""
    lbc, cid = Program.LEFT_BEHIND_CHILD, Program.CHILD_IN_DIFFICULTY
    women, elderly = Program.LEFT_BEHIND_WOMAN, Program.LEFT_BEHIND_ELDERLY

    def traits(program: str, dimension: str) -> dict[str, int]:
        return {t.key: _value(profile, f"{program}.{t.key}") for t in DIMENSIONS[dimension]}

    t1 = {"total": _value(people, lbc)}
    t1 |= {sex: _value(people, f"{lbc}.{sex}") for sex in pc.Sex.values}
    t1 |= {key: _value(people, f"{lbc}.{key}") for key in ("0-5", "6-13", "14-16")}
    t1["17+"] = _bands(people, lbc, _others("0-5", "6-13", "14-16"))
    for dimension in ("guardianship", "schooling", "health", "assistance"):
        t1 |= traits(lbc, dimension)

    t2 = {"total": _value(people, cid)}
    t2 |= {sex: _value(people, f"{cid}.{sex}") for sex in pc.Sex.values}
    t2 |= {key: _value(people, f"{cid}.{key}") for key in ("0-5", "6-13", "14-16", "17")}
    t2["18+"] = _bands(people, cid, _others("0-5", "6-13", "14-16", "17"))
    t2 |= traits(cid, "difficulty")
    t2["left_behind"] = extra["both"].get("n", 0)

    t3 = {"women": _value(people, women)}
    t3["women.-29"] = _bands(people, women, _ALL_BANDS[:5])
    for key in ("30-39", "40-49", "50-59"):
        t3[f"women.{key}"] = _value(people, f"{women}.{key}")
    t3["women.60+"] = _bands(people, women, _ALL_BANDS[8:])
    t3["elderly"] = _value(people, elderly)
    t3 |= {f"elderly.{sex}": _value(people, f"{elderly}.{sex}") for sex in pc.Sex.values}
    t3["elderly.-59"] = _bands(people, elderly, _ALL_BANDS[:8])
    for key in ("60-69", "70-79", "80+"):
        t3[f"elderly.{key}"] = _value(people, f"{elderly}.{key}")
    for key in ("living.alone", "assistance.tekun", "dependence.semi", "dependence.full"):
        t3[f"elderly.{key}"] = _value(profile, f"{elderly}.{key}")

    met = pairing.get(ind.MET)
    t4 = {
        "volunteers": extra["volunteers"].get("n", 0),
        "volunteers.paired": extra["volunteers_paired"].get("n", 0),
        "pairings": extra["pairings"].get("n", 0),
        "counted": _value(people, ind.ALL),
        "paired": int(met.value) if met is not None else 0,
        **{key: value for key, value in extra["contacts"].items()},
    }
    t4.setdefault("contacts", 0)
    for kind in ContactKind.values:
        t4.setdefault(f"contacts.{kind}", 0)

    t5 = {"new": extra["reported"].get("n", 0), "closed": extra["closed"].get("n", 0)}
    t5 |= {part: _value(extra["open"], part) for part in (ind.OPEN, *ind.OPEN_STATES)}
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5}


def _grouped(rows, key: str = "at") -> dict[str, dict[str, int]]:
    grouped: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        area = row.pop(key)
        grouped[area] = row
    return grouped


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _extra_sources(m: Measures, quarter: Quarter) -> dict[str, dict[str, dict[str, int]]]:
    """What no indicator counts, by area, one grouped query each: the approved
    volunteers and those with a pairing in force, the pairings in force, the
    contacts of the quarter by kind, the cases reported and closed in the quarter
    and those open on the day (`cases_open_at`), and the children in two programs."""
    prefix, digits, ref = m.prefix, m.digits, m.period.ref
    end = m.period.now
    start = timezone.make_aware(dt.datetime.combine(quarter.first, dt.time.min))

    def area(field: str):
        return Substr(field, 1, digits)

    volunteers = _grouped(
        Volunteer.objects.in_area_prefix(prefix)
        .filter(status=VolunteerStatus.APPROVED)
        .filter(Q(reviewed_at__lt=_end_of(ref)) | Q(reviewed_at__isnull=True))
        .annotate(at=area("area_id"))
        .values("at")
        .annotate(n=Count("pk"))
        .order_by()
    )
    volunteers_paired = _grouped(
        Volunteer.objects.in_area_prefix(prefix)
        .filter(pairings__in=Pairing.objects.active(ref))
        .annotate(at=area("area_id"))
        .values("at")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    pairings = _grouped(
        Pairing.objects.in_area_prefix(prefix)
        .active(ref)
        .annotate(at=area("person__village_id"))
        .values("at")
        .annotate(n=Count("pk"))
        .order_by()
    )
    kinds = {f"contacts.{kind}": Count("pk", filter=Q(kind=kind)) for kind in ContactKind.values}
    contacts = _grouped(
        Contact.objects.in_area_prefix(prefix)
        .filter(date__gte=quarter.first, date__lte=ref)
        .annotate(at=area("person__village_id"))
        .values("at")
        .annotate(contacts=Count("pk"), **kinds)
        .order_by()
    )
    # Closed in the quarter: a closing event then, or (a case without events) its
    # current state closed since then.
    closed = _grouped(
        ProtectionCase.objects.in_area_prefix(prefix)
        .filter(
            Q(state=CaseState.CLOSED, state_since__gte=start, state_since__lt=end)
            | Q(events__to_state=CaseState.CLOSED, events__at__gte=start, events__at__lt=end)
        )
        .annotate(at=area("village_id"))
        .values("at")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    both = _grouped(
        ind.counted(m.people, ref)
        .filter(
            ind.enrolled(ref, Program.LEFT_BEHIND_CHILD),
            ind.enrolled(ref, Program.CHILD_IN_DIFFICULTY),
        )
        .annotate(at=area("village_id"))
        .values("at")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # Reported in the quarter: the `cases` indicator's "reported in the month", for
    # each month of the quarter up to the day.
    reported: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0})
    for month in quarter.months:
        if month.first > ref:
            break
        monthly = (
            m
            if month == m.period.month
            else Measures(prefix, digits=digits, month=month, today=m.period.today)
        )
        for key, figures in monthly.by_area("cases").items():
            reported[key]["n"] += _value(figures, ind.REPORTED)
    return {
        "volunteers": volunteers,
        "volunteers_paired": volunteers_paired,
        "pairings": pairings,
        "contacts": contacts,
        "closed": closed,
        "both": both,
        "reported": reported,
        "open": ind.cases_open_at(prefix, digits=digits, moment=end),
    }


def area_figures(area: Area, *, as_of: dt.date, today: dt.date | None = None) -> dict:
    """Every figure of the quarterly report of `area` (a county or a township) as
    of the end of `as_of`, for the quarter that day is in (flows — contacts, cases
    reported and closed — from the quarter's first day to `as_of`). Rows: the
    areas one level down, each with every column, and `TOTAL`, the sums. A plain
    dict of str, int and lists, as a snapshot stores it."""
    today = today or timezone.localdate()
    quarter = Quarter.of(as_of)
    digits = PREFIX_LENGTHS[area.level + 1]
    # `today=as_of`: the day is read as it ended (the month up to as_of, ages on it).
    m = Measures(area.prefix, digits=digits, month=Month.of(as_of), today=min(as_of, today))
    people = m.by_area("people")
    profile = m.profile()
    pairing = m.by_area("pairing_coverage")
    extra = _extra_sources(m, quarter)

    children = list(Area.objects.filter(parent=area).order_by("code").values("code", "name"))
    rows = [{"code": child["code"], "name": child["name"]} for child in children]
    known = {child["code"][:digits] for child in children}
    seen = set(people) | {key for source in extra.values() for key in source}
    for key in sorted(seen - known):  # people in an area the register lacks
        rows.append({"code": key.ljust(12, "0"), "name": _("未登记区划 %(code)s") % {"code": key}})

    tables: dict[str, dict[str, dict[str, int]]] = {t.key: {} for t in LAYOUT}
    for row in rows:
        key = row["code"][:digits]
        figures = _row(
            people.get(key, {}),
            profile.get(key, {}),
            pairing.get(key, {}),
            {name: source.get(key, {}) for name, source in extra.items()},
        )
        for table, values in figures.items():
            tables[table][row["code"]] = values
    for table, by_row in tables.items():
        tables[table][TOTAL] = _sum_rows(by_row.values(), TABLES[table])
    return {
        "format": FORMAT,
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "as_of": as_of.isoformat(),
        "quarter": str(quarter),
        "quarter_first": quarter.first.isoformat(),
        "counted_at": timezone.now().isoformat(timespec="seconds"),
        "rows": rows,
        "tables": tables,
    }


def county_figures(county: Area, *, as_of: dt.date) -> dict:
    """The report of a county (rows: its townships); `area_figures` for any area."""
    return area_figures(county, as_of=as_of)


def _sum_rows(rows, table: Table) -> dict[str, int]:
    rows = list(rows)
    return {c.key: sum(row.get(c.key, 0) for row in rows) for c in table.columns}


# --- the consistency checks --------------------------------------------------------


def _row_names(figures: dict) -> Iterator[tuple[str, str]]:
    for row in figures["rows"]:
        yield row["code"], row["name"]
    yield TOTAL, _("合计")


def column_labels(table: Table) -> dict[str, str]:
    """Each column's full name: "group·column" (性别·男), or the column's own when
    it is its group's."""
    labels = {}
    for group in table.groups:
        for column in group.columns:
            heading = str(group.label)
            labels[column.key] = (
                str(column.label) if heading == str(column.label) else f"{heading}·{column.label}"
            )
    return labels


def consistency_errors(figures: dict) -> list[str]:
    """Every broken check, in words naming the table, the row and the cells:

    - in each row, the columns of a group that adds up equal their total (男+女 =
      总数, the age bands, guardianship types, schooling, health, contact kinds,
      case states), and each 其中 column is at most its total;
    - in each column, the 合计 row equals the sum of the other rows."""
    errors: list[str] = []
    tables = figures.get("tables", {})
    for table in LAYOUT:
        by_row = tables.get(table.key, {})
        labels = column_labels(table)
        for code, name in _row_names(figures):
            values = by_row.get(code, {})
            where = f"{table.title} · {name}"
            for group in table.groups:
                if not group.of:
                    continue
                total = values.get(group.of, 0)
                parts = [(labels[c.key], values.get(c.key, 0)) for c in group.columns]
                if group.adds_up:
                    added = sum(value for _label, value in parts)
                    if added != total:
                        errors.append(
                            _("%(where)s：%(parts)s = %(sum)s，不等于%(total_label)s %(total)s")
                            % {
                                "where": where,
                                "parts": " + ".join(f"{label} {v}" for label, v in parts),
                                "sum": added,
                                "total_label": labels[group.of],
                                "total": total,
                            }
                        )
                    continue
                for label, value in parts:
                    if value > total:
                        errors.append(
                            _("%(where)s：%(label)s %(value)s 大于%(total_label)s %(total)s")
                            % {
                                "where": where,
                                "label": label,
                                "value": value,
                                "total_label": labels[group.of],
                                "total": total,
                            }
                        )
        rows = [by_row.get(code, {}) for code, _name in _row_names(figures) if code != TOTAL]
        total_row = by_row.get(TOTAL, {})
        for column in table.columns:
            added = sum(row.get(column.key, 0) for row in rows)
            if total_row.get(column.key, 0) != added:
                errors.append(
                    _("%(table)s · 合计 · %(label)s：合计为 %(total)s，各行之和为 %(sum)s")
                    % {
                        "table": table.title,
                        "label": labels[column.key],
                        "total": total_row.get(column.key, 0),
                        "sum": added,
                    }
                )
    return errors


# --- reading the figures as tables ---------------------------------------------------


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    values: list[int]
    is_total: bool = False


def table_rows(figures: dict, table: Table) -> list[Row]:
    """The rows of `table` in order (the 合计 row last), values in column order."""
    by_row = figures["tables"][table.key]
    keys = [column.key for column in table.columns]
    return [
        Row(code, name, [by_row.get(code, {}).get(key, 0) for key in keys], code == TOTAL)
        for code, name in _row_names(figures)
    ]
