"""Mandatory reports and protection cases: filing, moving through the states,
assignment, notes, referrals, guardianship interventions, deadlines and their
escalation, and the audited read.

What must hold:
- a case changes state only here (`case_transition`), each move recorded as a
  `CaseEvent` with who and when, and only along `casework.TRANSITIONS`;
- entering a state sets its deadline from the county's configuration (or the
  default) and clears the escalation level;
- a breached deadline is escalated once per state entry: to the township's
  supervisors, then `county_after_hours` later to the county's administrators;
- every read of a case's content writes an ACCESS audit entry.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.audit.services import audit_access
from shouwang.core.locking import STALE_CODE, check_version, lock_version, stale_error
from shouwang.core.scoping import scope_prefix
from shouwang.people.models import Person
from shouwang.protection import casework
from shouwang.protection import choices as c
from shouwang.protection.models import (
    CaseDeadline,
    CaseEscalation,
    CaseEvent,
    CaseNote,
    Intervention,
    ProtectionCase,
    Referral,
)
from shouwang.regions.models import Area

logger = logging.getLogger("shouwang.protection")
S = c.CaseState
TOWNSHIP, COUNTY = 1, 2
# Times before this are typing mistakes (and older ones overflow date arithmetic).
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)


def county_code(village_code: str) -> str:
    return village_code[:6] + "000000"


def deadlines_for(county: str) -> dict[str, CaseDeadline]:
    """{state: deadline} in force in a county: its own rows where it has them, else
    the defaults."""
    rows = CaseDeadline.objects.filter(county__isnull=True) | CaseDeadline.objects.filter(
        county_id=county
    )
    chosen: dict[str, CaseDeadline] = {}
    for row in rows:
        if row.state not in chosen or row.county_id is not None:
            chosen[row.state] = row
    return chosen


def report_villages(user):
    """The villages a user may file a report for: those in their scope (volunteers
    included, who see no areas otherwise). One definition for the form and here."""
    prefix = scope_prefix(user)
    if prefix is None:
        return Area.objects.none()
    return Area.objects.in_area_prefix(prefix).filter(level=5).order_by("code")


def _enter(case: ProtectionCase, state: str, *, at: dt.datetime, by, note: str = "") -> None:
    previous = case.state if case.pk else ""
    case.state = state
    case.state_since = at
    case.escalation_level = 0
    deadline = deadlines_for(county_code(case.village_id)).get(state)
    case.deadline_at = at + dt.timedelta(hours=deadline.hours) if deadline else None
    case.version += 1 if case.pk else 0
    case.save()
    CaseEvent.objects.create(case=case, from_state=previous, to_state=state, at=at, by=by,
                             note=note)  # fmt: skip


def _require_case(
    user, case: ProtectionCase, perm: str = "protection.change_protectioncase", *, open_only=True
):
    """The case as the user may act on it: visible (need-to-know), permitted and,
    unless reopening, not closed."""
    if not user.has_perm(perm) or not (
        ProtectionCase.objects.visible_to(user).filter(pk=case.pk).exists()
    ):
        raise PermissionDenied(_("您不能处理该案件"))
    if open_only and case.is_closed:
        raise ValidationError(_("案件已结案；如需继续处理，请先重新开启"))


@transaction.atomic
def case_report(
    *,
    user,
    village: Area,
    category: str,
    description: str,
    discovered_at: dt.datetime,
    discovered_place: str,
    reporter_name: str,
    people: Iterable[Person] = (),
    others_involved: str = "",
    channel: str = c.IntakeChannel.SYSTEM,
    reporter_phone: str = "",
    reporter_org: str = "",
    immediate_action: str = "",
    police_notified: bool = False,
    police_notified_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> ProtectionCase:
    """File a mandatory report (强制报告). Anyone with a login may file, for a
    village in their scope and about people they can see (a hotline operator files
    for a caller, naming the line in `channel`). A village worker filing for their
    own village is assigned the case. Refused with a message per field: a future
    discovery time, police notified without the time, no one involved, missing
    description or place."""
    now = now or timezone.now()
    # A time without a zone is Beijing time (what the form and most clients mean).
    discovered_at, police_notified_at = (
        timezone.make_aware(t) if t is not None and timezone.is_naive(t) else t
        for t in (discovered_at, police_notified_at)
    )
    if not user.has_perm("protection.add_protectioncase"):
        raise PermissionDenied(_("您不能填报强制报告"))
    people = list(people)
    errors: dict[str, str] = {}
    if village is None or not report_villages(user).filter(pk=village.pk).exists():
        errors["village"] = _("请选择您管辖范围内的村（社区）")
    visible = set(
        Person.objects.visible_to(user)
        .filter(pk__in=[p.pk for p in people])
        .values_list("pk", flat=True)
    )
    if any(p.pk not in visible for p in people):
        errors["people"] = _("所选人员不在您的管辖范围内")
    elif village is not None and any(p.village_id != village.code for p in people):
        errors["people"] = _("涉及人员应属于所选村（社区）")
    if not people and not others_involved.strip():
        errors["others_involved"] = _("请选择涉及的在册人员，或填写未建档人员的情况")
    if category not in c.CaseCategory.values:
        errors["category"] = _("请选择报告情形")
    if channel not in c.IntakeChannel.values:
        errors["channel"] = _("请选择报告来源")
    if not description.strip():
        errors["description"] = _("请描述发现的情况")
    if not discovered_place.strip():
        errors["discovered_place"] = _("请填写发现地点")
    if not reporter_name.strip():
        errors["reporter_name"] = _("请填写报告人")
    if discovered_at is None:
        errors["discovered_at"] = _("请填写发现时间")
    elif discovered_at > now:
        errors["discovered_at"] = _("发现时间不能晚于现在")
    elif discovered_at < EARLIEST:
        errors["discovered_at"] = _("发现时间不正确，请核对年份")
    if police_notified and police_notified_at is None:
        errors["police_notified_at"] = _("已报警的，请填写报警时间")
    elif police_notified_at is not None and police_notified_at > now:
        errors["police_notified_at"] = _("报警时间不能晚于现在")
    elif police_notified_at is not None and police_notified_at < EARLIEST:
        errors["police_notified_at"] = _("报警时间不正确，请核对年份")
    if errors:
        raise ValidationError(errors)
    case = ProtectionCase(
        village=village, category=category, others_involved=others_involved.strip(),
        description=description.strip(), discovered_at=discovered_at,
        discovered_place=discovered_place.strip(), channel=channel,
        reporter_name=reporter_name.strip(), reporter_phone=reporter_phone.strip(),
        reporter_org=reporter_org.strip(), immediate_action=immediate_action.strip(),
        police_notified=police_notified,
        police_notified_at=police_notified_at if police_notified else None,
        reported_by=user, created_at=now,
    )  # fmt: skip
    _enter(case, S.REPORTED, at=now, by=user)
    case.people.set(people)
    if user.role == Role.VILLAGE_WORKER and user.scope_area_id == village.code:
        case.assignees.add(user)
    logger.info("case %s reported in %s (%s)", case.number, village.code, category)
    return case


@transaction.atomic
def case_transition(
    *,
    user,
    case: ProtectionCase,
    to_state: str,
    note: str = "",
    expected_state: str = "",
    version: int | None = None,
    now: dt.datetime | None = None,
) -> ProtectionCase:
    """Move a case to its next state (or reopen it), recording who and when.
    Refused with a Chinese message: a move off the state machine, accepting
    without `oversee_cases`, closing or reopening without `signoff_case`, closing
    without a summary, reopening without a reason, and — when the caller says
    which state (`expected_state`) or version (`version`) it saw — a case someone
    else has moved or changed since (code "stale")."""
    now = now or timezone.now()
    _require_case(user, case, open_only=False)
    case = ProtectionCase.objects.select_for_update().get(pk=case.pk)
    if expected_state and expected_state != case.state:
        raise ValidationError({"to_state": ValidationError(
            _("案件已被他人更新为「%(state)s」，请查看后再操作") % {"state": S(case.state).label},
            code=STALE_CODE)})  # fmt: skip
    check_version(case.version, version)
    error = casework.transition_error(
        case.state, to_state, note=note,
        may_sign_off=user.has_perm("protection.signoff_case"),
        may_accept=user.has_perm("protection.oversee_cases"),
    )  # fmt: skip
    if error:
        raise ValidationError({"to_state": error})
    if to_state == S.CLOSED:
        case.closing_summary = note.strip()
        case.signed_off_by = user
        case.closed_at = now
    elif case.state == S.CLOSED:  # reopened
        case.closing_summary, case.signed_off_by, case.closed_at = "", None, None
    _enter(case, to_state, at=now, by=user, note=note.strip())
    return case


def assignable_users(case: ProtectionCase):
    """Staff who may be assigned a case: active village workers, supervisors and
    county administrators whose scope covers the case's village."""
    code = case.village_id
    scopes = [code, code[:9] + "000", code[:6] + "000000"]
    return User.objects.filter(
        is_active=True,
        role__in=(Role.VILLAGE_WORKER, Role.TOWNSHIP_SUPERVISOR, Role.COUNTY_ADMIN),
        scope_area_id__in=scopes,
    ).order_by("role", "username")


@transaction.atomic
def case_assign(
    *, user, case: ProtectionCase, assignees: Iterable[User], version: int | None = None
) -> ProtectionCase:
    """Set who handles a case (supervisors and county staff only), as chosen on
    `version` of the case (refused, code "stale", if it changed since)."""
    _require_case(user, case, "protection.oversee_cases")
    case = lock_version(ProtectionCase, pk=case.pk, version=version)
    assignees = list(assignees)
    allowed = set(assignable_users(case).values_list("pk", flat=True))
    if not assignees:
        raise ValidationError({"assignees": _("请至少指定一名承办人")})
    if any(a.pk not in allowed for a in assignees):
        raise ValidationError({"assignees": _("承办人须为该村所在乡镇或县的工作人员")})
    case.assignees.set(assignees)
    case.save(update_fields=["version", "updated_at"])
    return case


@transaction.atomic
def case_note_add(*, user, case: ProtectionCase, text: str) -> CaseNote:
    _require_case(user, case)
    if not text.strip():
        raise ValidationError({"text": _("请填写记录内容")})
    return CaseNote.objects.create(case=case, text=text.strip(), author=user)


@transaction.atomic
def referral_add(
    *, user, case: ProtectionCase, agency: str, referred_on: dt.date, note: str = ""
) -> Referral:
    _require_case(user, case)
    errors = {}
    if agency not in c.Agency.values:
        errors["agency"] = _("请选择转介单位")
    if referred_on is None or referred_on > timezone.localdate():
        errors["referred_on"] = _("转介日期不能晚于今天")
    elif referred_on < timezone.localtime(case.created_at).date():
        errors["referred_on"] = _("转介日期不能早于报告日期")
    if errors:
        raise ValidationError(errors)
    return Referral.objects.create(
        case=case, agency=agency, referred_on=referred_on, note=note.strip(), by=user
    )


@transaction.atomic
def referral_answer(
    *, user, referral: Referral, answer: str, answered_on: dt.date, answer_note: str = ""
) -> Referral:
    _require_case(user, referral.case)
    # Re-read under a row lock: of two answers at the same moment, the second is told.
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.answer:
        raise ValidationError({"answer": _("该转介已有回复，不能覆盖")})
    errors = {}
    if answer not in (c.ReferralAnswer.ACCEPTED, c.ReferralAnswer.DONE, c.ReferralAnswer.DECLINED):
        errors["answer"] = _("请选择回复结果")
    if answered_on is None or answered_on > timezone.localdate():
        errors["answered_on"] = _("回复日期不能晚于今天")
    elif answered_on < referral.referred_on:
        errors["answered_on"] = _("回复日期不能早于转介日期")
    if errors:
        raise ValidationError(errors)
    referral.answer, referral.answered_on = answer, answered_on
    referral.answer_note = answer_note.strip()
    referral.save()
    return referral


@transaction.atomic
def intervention_add(
    *, user, case: ProtectionCase, kind: str, on: dt.date, note: str = ""
) -> Intervention:
    _require_case(user, case)
    errors = {}
    if kind not in c.InterventionKind.values:
        errors["kind"] = _("请选择干预措施")
    if on is None or on > timezone.localdate():
        errors["on"] = _("日期不能晚于今天")
    if errors:
        raise ValidationError(errors)
    return Intervention.objects.create(case=case, kind=kind, on=on, note=note.strip(), by=user)


def case_read(*, user, case: ProtectionCase, what: str = "case") -> None:
    """Audit a read of a case's content (description, notes, the reporter)."""
    audit_access(instance=case, reason=what, fields=[
        "description", "immediate_action", "reporter_phone", "closing_summary", "notes", "events",
    ])  # fmt: skip


@transaction.atomic
def deadline_set(
    *,
    user,
    county: Area,
    state: str,
    hours: int | None,
    county_after_hours: int | None,
    version: int | None = None,
) -> CaseDeadline:
    """Set a county's deadline for one state (a county copy beside the defaults).
    `version` is the version of the county's row as the page showed it (0: it had
    none); refused (code "stale") if someone set this deadline since."""
    if not user.has_perm("protection.change_casedeadline") or not (
        Area.objects.visible_to(user).filter(pk=county.pk, level=3).exists()
    ):
        raise PermissionDenied(_("您不能修改该县的办理时限"))
    errors = {}
    if state not in casework.OPEN_STATES:
        errors["state"] = _("请选择要设置时限的环节")
    for field, value in (("hours", hours), ("county_after_hours", county_after_hours)):
        if value is None:
            errors[field] = _("请填写时限（小时）")
        elif value < 1:
            errors[field] = _("时限须为正整数小时")
        elif value > 24 * 365:
            errors[field] = _("时限不能超过一年")
    if errors:
        raise ValidationError(errors)
    row = CaseDeadline.objects.select_for_update().filter(county=county, state=state).first()
    check_version(row.version if row else 0, version)
    if row is None:
        row = CaseDeadline(county=county, state=state, version=0)
    row.hours, row.county_after_hours, row.updated_by = hours, county_after_hours, user
    row.version += 1
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # another administrator set it a moment ago
        raise stale_error() from None
    return row


def _recipients(case: ProtectionCase, level: int) -> list[User]:
    if level == TOWNSHIP:
        role, scope = Role.TOWNSHIP_SUPERVISOR, case.village_id[:9] + "000"
    else:
        role, scope = Role.COUNTY_ADMIN, county_code(case.village_id)
    return list(User.objects.filter(is_active=True, role=role, scope_area_id=scope))


@transaction.atomic
def deadlines_check(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Escalate every open case past its deadline: to the township once the
    deadline passes, to the county `county_after_hours` later. Safe to re-run: a
    level is escalated once per state entry (`CaseEscalation` is unique)."""
    now = now or timezone.now()
    counts = {"township": 0, "county": 0}
    breached = (
        ProtectionCase.objects.open()
        .filter(deadline_at__lt=now, escalation_level__lt=COUNTY)
        .select_for_update()
    )
    rules: dict[str, dict[str, CaseDeadline]] = {}
    for case in breached:
        county = county_code(case.village_id)
        rules.setdefault(county, deadlines_for(county))
        deadline = rules[county].get(case.state)
        county_at = case.deadline_at + dt.timedelta(
            hours=deadline.county_after_hours if deadline else 24
        )
        level = COUNTY if now > county_at else TOWNSHIP
        for step in range(case.escalation_level + 1, level + 1):
            told = _recipients(case, step)
            CaseEscalation.objects.get_or_create(
                case=case, state_since=case.state_since, level=step,
                defaults={"state": case.state, "at": now,
                          "notified": [u.username for u in told]},
            )  # fmt: skip
            counts["township" if step == TOWNSHIP else "county"] += 1
            logger.warning(
                "case %s overdue in state %s: escalated to %s (%s)", case.number, case.state,
                "township" if step == TOWNSHIP else "county", ", ".join(u.username for u in told),
            )  # fmt: skip
        case.escalation_level = level
        case.save(update_fields=["escalation_level", "updated_at"])  # audited
    return counts
