"""Reads of the registry that are more than a lookup: search and filters, the
survey round's progress, the directory of relatives working away."""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from shouwang.core.scoping import code_range
from shouwang.people.choices import PersonStatus
from shouwang.people.eligibility import years_before
from shouwang.people.forms import id_index
from shouwang.people.identity import IdNumberError, parse_id_number
from shouwang.people.models import Enrollment, Person, Relation, SurveyRound, Verification
from shouwang.people.names import search_keys
from shouwang.regions.models import Area, Level

CJK = re.compile(r"[\u3400-\u9fff]")
ID_LIKE = re.compile(r"^[0-9０-９]{14,17}[0-9xX０-９ｘＸ]$")
AGE_BANDS = {"0-5": (0, 5), "6-13": (6, 13), "14-15": (14, 15), "16-17": (16, 17),
             "18-59": (18, 59), "60-79": (60, 79), "80+": (80, 150)}  # fmt: skip


def _prefix_range(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, as an index-friendly range (not LIKE)."""
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\uffff"})


def person_search(queryset: QuerySet[Person], query: str) -> QuerySet[Person]:
    """Name substring (Chinese), exact ID number, or pinyin: the full reading or
    the initials, from the start (张三 → zhangsan, zhang, zs)."""
    query = query.strip()
    if not query:
        return queryset
    if ID_LIKE.match(query.replace(" ", "")):
        try:
            number = parse_id_number(query).number
        except IdNumberError:
            return queryset.none()
        return queryset.filter(id_number_index=id_index(number))
    if CJK.search(query):
        return queryset.filter(name__contains=query.replace(" ", ""))
    key, _pinyin = search_keys(query)
    if not key:
        return queryset
    pinyin, initials = _prefix_range("name_pinyin", key), _prefix_range("name_initials", key)
    villages = _villages_between_first_and_last(queryset)
    if villages is None:
        return queryset.filter(pinyin | initials)
    # Naming the villages in each alternative lets the (village, name_pinyin) and
    # (village, name_initials) indexes be searched village by village; a prefix on
    # the second column of an index cannot be searched across a range of villages,
    # so without this every file in scope is read (docs/performance.md: 200 ms on
    # SQLite, 20 ms on PostgreSQL for a county of 50,000; 1 ms with it).
    in_villages = Q(village_id__in=villages)
    return queryset.filter((in_villages & pinyin) | (in_villages & initials))


MAX_VILLAGES_LISTED = 2000


def _villages_between_first_and_last(queryset: QuerySet[Person]) -> list[str] | None:
    """Codes of the villages from the queryset's first to its last village (files
    are always in a village), or None when there are too many to list."""
    ordered = queryset.order_by("village_id").values("village_id")
    codes = list(
        Area.objects.filter(
            level=Level.VILLAGE,
            code__gte=Subquery(ordered[:1]),
            code__lte=Subquery(ordered.reverse()[:1]),
        ).values_list("code", flat=True)[: MAX_VILLAGES_LISTED + 1]
    )
    return None if len(codes) > MAX_VILLAGES_LISTED else codes


def birth_range_for_age(low: int, high: int, on: dt.date) -> tuple[dt.date, dt.date]:
    """Birth dates of people aged low..high (inclusive) on `on`."""
    return years_before(on, high + 1) + dt.timedelta(days=1), years_before(on, low)


def person_filter(
    queryset: QuerySet[Person],
    *,
    area: str = "",
    program: str = "",
    status: str = "",
    age_band: str = "",
    school: str = "",
    q: str = "",
    indicator: str = "",
    month: str = "",
    on: dt.date | None = None,
) -> QuerySet[Person]:
    """`indicator` (with `month`, YYYY-MM): the people behind a dashboard figure,
    by the indicator's one definition (shouwang.dashboard.indicators)."""
    on = on or timezone.localdate()
    if area:
        low, high = code_range(area)
        queryset = queryset.filter(village_id__gte=low, village_id__lte=high)
    if program:
        queryset = queryset.filter(
            Exists(
                Enrollment.objects.filter(
                    person=OuterRef("pk"), program=program, ended_on__isnull=True
                )
            )  # fmt: skip
        )
    if status:
        queryset = queryset.filter(status=status)
    if age_band in AGE_BANDS:
        earliest, latest = birth_range_for_age(*AGE_BANDS[age_band], on)
        queryset = queryset.filter(birth_date__gte=earliest, birth_date__lte=latest)
    if school:
        queryset = queryset.filter(school__contains=school)
    if indicator:
        from shouwang.care.rates import Month
        from shouwang.dashboard.indicators import people_behind

        chosen = Month.parse(month) or Month.of(on)
        queryset = people_behind(indicator, queryset, month=chosen, today=on)
    return person_search(queryset, q)


def round_progress(*, user, survey: SurveyRound) -> list[dict]:
    """Per village in the round's area and the user's scope: active files and how
    many are verified in this round (one query).

    "Verified" is an EXISTS per file rather than a join to the verifications: a
    join would repeat each file once per verification in *any* round and inflate
    the total from the second round on."""
    verified_here = Exists(Verification.objects.filter(round=survey, person=OuterRef("pk")))
    return list(
        Person.objects.visible_to(user)
        .active()
        .in_area_prefix(survey.area.prefix)
        .values("village_id", "village__name")
        .annotate(total=Count("id"), verified=Count("id", filter=verified_here))
        .order_by("village_id")
    )


def unverified_people(*, user, survey: SurveyRound) -> QuerySet[Person]:
    return (
        Person.objects.visible_to(user)
        .active()
        .in_area_prefix(survey.area.prefix)
        .exclude(Exists(Verification.objects.filter(round=survey, person=OuterRef("pk"))))
        .select_related("village")
        .order_by("village_id", "name_pinyin", "pk")
    )


def migrant_directory(
    *, user, province: str = "", city: str = "", returned: str = ""
) -> QuerySet[Relation]:
    """Relatives working away of the people in scope (农民工台账): living relatives
    of active files (a merged, moved-out or deceased file is no longer followed)."""
    relations = (
        Relation.objects.visible_to(user)
        .filter(working_away=True, living=True, person__status=PersonStatus.ACTIVE)
        .exclude(relative__status=PersonStatus.DECEASED)
        .select_related("person__village", "relative", "work_province", "work_city")
        .order_by("work_province_id", "work_city_id", "person__village_id", "pk")
    )
    if province:
        relations = relations.filter(work_province_id=province)
    if city:
        relations = relations.filter(work_city_id=city)
    if returned in ("yes", "no"):
        relations = relations.filter(returned=returned == "yes")
    return relations


def people_for_list(people: QuerySet[Person]) -> QuerySet[Person]:
    """People as the lists show them: with their village, risk level and open enrollments,
    without the encrypted or long columns, in village and name order."""
    return (
        people.select_related("village", "current_risk__grade")
        .defer("phone", "head_teacher_phone", "notes")
        .prefetch_related(
            Prefetch(
                "enrollments",
                queryset=Enrollment.objects.filter(ended_on__isnull=True),
                to_attr="open_enrollments",
            )  # fmt: skip
        )
        .order_by("village_id", "name_pinyin", "pk")
    )
