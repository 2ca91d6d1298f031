"""The demo county's protection work: risk assessments of everyone enrolled, a
dozen protection cases in every state, care stations with a year of activities,
and the services and aid people received — for the families of
`shouwang.people.demo` and the care network of `shouwang.care.demo`.

What the demo shows on purpose:
- levels read off the files (guardianship, living alone or boarding, health,
  schooling, 低保/特困, dependence), with mood and safety drawn: most people
  四级/五级, a few per cent 一级/二级 (red flags: an elderly person living alone
  and dependent, self-harm, violence); about 1 % manual overrides with a reason;
  about 30 % with an earlier assessment too;
- 待复评: some assessments past their reassessment date, many of them in the
  demo village (350724101200), so the village worker's list has entries;
- 13 cases across all nine townships (five in 郑墩镇, two of them in the demo
  village), in every state of `CaseState`, some from the 12345/12349/12355
  hotlines or 110, some with the police notified, with notes, referrals and
  their answers, guardianship interventions (训诫, 重新委托监护, 临时监护,
  撤销监护人资格) and sign-off; one case accepted three days ago and still 已受理,
  escalated to the township and the county by `deadlines_check`. The people a
  case is about are assessed again when the case says so (violence, self-harm…);
- stations in about a third of the villages (留守儿童之家 mostly), 八有 with
  gaps (funding, the ledger); activities with people and volunteers of the
  village, festival aid (慰问金, 慰问品) handed out at them; services (心理疏导
  for those in distress, 体检, 两癌筛查, 助学, 日间照料 …) and 春节 aid, some of
  it to a parent or husband working away (`Aid.relation`).

Holds, as the services would enforce it: every stored score, red flag and
computed level is what `rubric.grade` gives for the stored answers with the
county's scale; `CurrentRisk` and `Person.risk_level` are set by
`current_risk_refresh`; cases move only through `services.cases`, as the demo
logins, backdated with the services' `now` (only case notes are re-stamped,
as `case_note_add` takes no time); no assessment, service or aid predates the
person's enrollment or lies after `today`; participants of an activity live in
its station's village.

Deterministic for a seed and a day (timestamps of the cases are relative to the
present moment when loading for today); idempotent (a county with assessments is
left alone). Assessments, stations, activities, services and aid are written with
`bulk_create` and audited with `audit_bulk`; the cases by the services (auditlog).
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from shouwang.protection.demo.cases import Cases, demo_now
from shouwang.protection.demo.county import County
from shouwang.protection.demo.risk import Assessments, assessments_save
from shouwang.protection.demo.stations import Stations
from shouwang.protection.demo.support import Support, support_save
from shouwang.protection.models import (
    Activity,
    Aid,
    Assessment,
    CaseEscalation,
    CurrentRisk,
    ProtectionCase,
    RiskGrade,
    Service,
    Station,
)


def protection_demo_load(
    *, county_code: str = "350724", today: dt.date | None = None, seed: int = 3507
) -> dict[str, int]:
    """Give the county's people on file (`people_demo_load`, ideally with
    `care_demo_load`) their protection work up to `today`. Nothing is written when
    the county already has assessments. Returns `protection_demo_counts`."""
    today = today or timezone.localdate()
    with transaction.atomic():
        if not Assessment.objects.in_area_prefix(county_code).exists():
            _load(county_code=county_code, today=today, seed=seed)
    return protection_demo_counts(county_code=county_code, today=today)


def _load(*, county_code: str, today: dt.date, seed: int) -> None:
    county = County(code=county_code, today=today)
    if not county.people:
        return
    rng = random.Random(seed)
    cases = Cases(county=county, rng=random.Random(seed + 1), now=demo_now(today))
    reassessments = cases.plan()
    assessments = Assessments(county=county, rng=rng, cases=reassessments).build()
    assessments_save(county, assessments)
    cases.run()
    stations = Stations(county=county, rng=random.Random(seed + 2))
    stations.build()
    support = Support(county=county, rng=random.Random(seed + 3), assessments=assessments)
    support.build()
    support_save(county, stations, support)


def protection_demo_counts(
    *, county_code: str = "350724", today: dt.date | None = None
) -> dict[str, int]:
    """What the county's protection work holds: assessments, people with a level in
    force (and by level code, e.g. `level-1`), reassessments due, cases (open,
    escalated), stations, activities, services and aid (rows, and yuan in all)."""
    today = today or timezone.localdate()
    current = CurrentRisk.objects.in_area_prefix(county_code)
    by_grade = dict(current.values_list("grade__code").annotate(n=Count("pk")).order_by())
    codes = RiskGrade.objects.values_list("code", flat=True).order_by("scale", "rank")
    cases = ProtectionCase.objects.in_area_prefix(county_code)
    aid = Aid.objects.in_area_prefix(county_code)
    totals = aid.aggregate(cash=Sum("amount"), goods=Sum("value"))
    return {
        "assessments": Assessment.objects.in_area_prefix(county_code).count(),
        "assessed": sum(by_grade.values()),
        **{code: by_grade.get(code, 0) for code in codes if code in by_grade},
        "reassessment_due": current.filter(next_due__lt=today).count(),
        "cases": cases.count(),
        "cases_open": cases.open().count(),
        "cases_escalated": CaseEscalation.objects.filter(case__in=cases)
        .values("case")
        .distinct()
        .count(),
        "stations": Station.objects.in_area_prefix(county_code).count(),
        "activities": Activity.objects.in_area_prefix(county_code).count(),
        "services": Service.objects.in_area_prefix(county_code).count(),
        "aid": aid.count(),
        "aid_yuan": int((totals["cash"] or 0) + (totals["goods"] or 0)),
    }
