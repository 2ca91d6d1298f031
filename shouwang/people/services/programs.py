"""Programs: which rule is in force, what it says about a person, the proposals
it produces, and the enrollments staff confirm."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shouwang.people import choices as c
from shouwang.people.eligibility import (
    DEFAULT_PARAMS,
    ExitReason,
    ParentFacts,
    PersonFacts,
    Program,
    RelativeAwayFacts,
    Verdict,
    evaluate,
    exit_reason_text,
    validate_params,
)
from shouwang.people.models import EligibilityRule, Enrollment, Person, Proposal, Relation
from shouwang.people.signals import people_changed
from shouwang.regions.models import Area

# Assistance flags that are also categories of 困境儿童.
FLAG_CATEGORIES = {"orphan": "orphan", "de_facto_unsupported": "de_facto_unsupported",
                   "dibao": "dibao_family"}  # fmt: skip


class RuleBook:
    """All eligibility rules, loaded once; picks the rule in force for an area and day.

    A rule for the person's province, city or county beats the national default;
    among those, the newest `effective_from` on or before the day wins.
    """

    def __init__(self, rules: Iterable[EligibilityRule] | None = None):
        if rules is None:
            rules = EligibilityRule.objects.all()
            if len({r.program for r in rules}) < len(Program.values):
                ensure_default_rules()
                rules = EligibilityRule.objects.all()
        self.rules = list(rules)

    def rule_for(self, program: str, area_code: str, on: dt.date) -> EligibilityRule:
        above = set(Area(code=area_code, level=5).ancestor_codes())
        fitting = [
            r
            for r in self.rules
            if r.program == program
            and r.effective_from <= on
            and (r.area_id is None or r.area_id in above)
        ]
        if not fitting:
            raise EligibilityRule.DoesNotExist(f"no rule for {program} on {on}")
        return max(fitting, key=lambda r: (len((r.area_id or "").rstrip("0")),
                                           r.effective_from, r.version))  # fmt: skip


DEFAULTS_EFFECTIVE = dt.date(2016, 2, 14)  # 国发〔2016〕13号


def ensure_default_rules() -> None:
    """Version 1 of every program: the national defaults. Created by a migration;
    recreated here if missing (an emptied database must still decide cases)."""
    for program in Program.values:
        if not EligibilityRule.objects.filter(program=program, area=None).exists():
            EligibilityRule.objects.create(
                program=program, version=1, area=None, effective_from=DEFAULTS_EFFECTIVE,
                params=DEFAULT_PARAMS[program], note="全国默认",
            )  # fmt: skip


def facts_for(person: Person, relations: Iterable[Relation]) -> PersonFacts:
    """What the rules need to know, read off the file and its relations."""

    def living(rel: Relation) -> bool:
        if rel.relative_id and rel.relative.status == c.PersonStatus.DECEASED:
            return False
        return rel.living

    parents, children, spouse = [], [], None
    for rel in relations:
        if rel.kind in c.PARENT_KINDS:
            parents.append(
                ParentFacts(
                    role=rel.kind,
                    away=rel.is_away,
                    months_away_12=rel.months_away_12,
                    capable=rel.capacity != c.GuardianCapacity.NONE,
                    living=living(rel),
                )
            )
        elif rel.kind == c.RelationKind.SPOUSE:
            spouse = RelativeAwayFacts(rel.is_away, rel.months_away_12, living(rel))
        elif rel.kind == c.RelationKind.CHILD:
            children.append(RelativeAwayFacts(rel.is_away, rel.months_away_12, living(rel)))
    categories = set(person.difficulty_categories) | {
        category for flag, category in FLAG_CATEGORIES.items() if getattr(person, flag)
    }
    return PersonFacts(
        birth_date=person.birth_date,
        sex=person.sex,
        living=person.status != c.PersonStatus.DECEASED,
        moved_out=person.status == c.PersonStatus.MOVED_OUT,
        parents=tuple(parents),
        married=spouse is not None and spouse.living,
        spouse=spouse,
        children=tuple(children),
        difficulty_categories=frozenset(categories),
    )


def verdicts_for(
    person: Person, on: dt.date, book: RuleBook, relations=None
) -> list[tuple[Verdict, EligibilityRule]]:
    relations = (
        list(person.relations.select_related("relative")) if relations is None else relations
    )
    facts = facts_for(person, relations)
    result = []
    # Reasons are stored on proposals and enrollments: always in the primary
    # language, whoever's request (or the nightly job) produced them.
    with translation.override(settings.LANGUAGE_CODE):
        for program in Program.values:
            rule = book.rule_for(program, person.village_id, on)
            result.append((evaluate(program, rule.params, facts, on), rule))
    return result


def proposals_refresh(
    *, person: Person, on: dt.date, book: RuleBook | None = None, prefetched: bool = False
) -> list[Proposal]:
    """Evaluate every program for `person` on `on` and keep one pending proposal
    per program where the verdict and the enrollment disagree. A proposal staff
    dismissed is not made again for the same rule version and action."""
    if person.status == c.PersonStatus.MERGED:
        return []
    book = book or RuleBook()
    if prefetched:
        relations, enrollments, proposals = (
            person.relations.all(), person.enrollments.all(), person.proposals.all()
        )  # fmt: skip
    else:
        relations = list(person.relations.select_related("relative"))
        enrollments = list(person.enrollments.all())
        proposals = list(person.proposals.all())
    open_programs = {e.program for e in enrollments if e.ended_on is None}
    made = []
    for verdict, rule in verdicts_for(person, on, book, relations):
        program = verdict.program
        action = None
        if verdict.eligible and program not in open_programs:
            action = Proposal.Action.ENROLL
        elif not verdict.eligible and program in open_programs:
            action = Proposal.Action.EXIT
        pending = [p for p in proposals if p.program == program and p.status == "pending"]
        for p in pending:
            if action is None or p.action != action or p.rule_id != rule.pk:
                p.status = Proposal.Status.SUPERSEDED
                p.save(update_fields=["status"])
        if action is None:
            continue
        kept = [p for p in pending if p.action == action and p.rule_id == rule.pk]
        if kept:
            for p in kept:  # the same proposal, but the facts behind it may have changed
                if p.reason != verdict.reason[:200]:
                    p.reason = verdict.reason[:200]
                    p.save(update_fields=["reason"])
            continue
        dismissed = any(
            p.program == program and p.action == action and p.rule_id == rule.pk
            and p.status == Proposal.Status.DISMISSED
            for p in proposals
        )  # fmt: skip
        if dismissed:
            continue
        exit_reason = ""
        if action == Proposal.Action.EXIT:
            exit_reason = verdict.exit_reason or ExitReason.OTHER
        made.append(
            Proposal.objects.create(
                person=person,
                program=program,
                action=action,
                reason=verdict.reason[:200],
                exit_reason=exit_reason,
                rule=rule,
                proposed_on=on,
            )
        )
    return made


def reevaluate_all(*, on: dt.date | None = None, batch_size: int = 500) -> int:
    """The daily job: re-evaluate every active file (a child who turns 16 today is
    proposed for exit today). Returns the number of proposals made."""
    on = on or timezone.localdate()
    book = RuleBook()
    made = 0
    people = (
        Person.objects.exclude(status=c.PersonStatus.MERGED)
        .prefetch_related(
            Prefetch("relations", queryset=Relation.objects.select_related("relative")),
            "enrollments",
            "proposals",
        )
        .order_by("pk")
    )
    for start in range(0, people.count() + batch_size, batch_size):
        with transaction.atomic():
            for person in people[start : start + batch_size]:
                made += len(proposals_refresh(person=person, on=on, book=book, prefetched=True))
    return made


@transaction.atomic
def enrollment_start(
    *, user, person: Person, program: str, on: dt.date, book: RuleBook | None = None
) -> Enrollment:
    """Enroll a person after checking the rule in force on `on`."""
    if person.status == c.PersonStatus.MERGED:
        raise ValidationError({"program": _("该档案已合并到另一份档案，不能纳入")})
    book = book or RuleBook()
    verdict, rule = next((v, r) for v, r in verdicts_for(person, on, book) if v.program == program)
    if not verdict.eligible:
        raise ValidationError(
            {
                "program": _("不符合“%(program)s”的认定条件：%(reason)s（规则 %(v)s）")
                % {"program": Program(program).label, "reason": verdict.reason, "v": rule.label}
            }
        )
    if person.enrollments.filter(program=program, ended_on__isnull=True).exists():
        raise ValidationError({"program": _("已在该项目中")})
    try:
        with transaction.atomic():  # two confirmations at once: one wins, one is told
            enrollment = Enrollment.objects.create(
                person=person, program=program, started_on=on, rule=rule,
                reason=verdict.reason[:200], confirmed_by=user,
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError({"program": _("已在该项目中")}) from None
    _settle(person, program, Proposal.Action.ENROLL, user)
    people_changed(person.pk)
    return enrollment


@transaction.atomic
def enrollment_end(
    *, user, enrollment: Enrollment, on: dt.date, exit_reason: str, note: str = ""
) -> Enrollment:
    """End an enrollment; it stays in the history with its reason. Re-read under a
    row lock, so a second exit at the same moment is told it has happened."""
    enrollment = (
        Enrollment.objects.select_for_update().select_related("person").get(pk=enrollment.pk)
    )
    if enrollment.ended_on is not None:
        raise ValidationError({"ended_on": _("该项目已退出")})
    if on < enrollment.started_on:
        raise ValidationError({"ended_on": _("退出日期不能早于纳入日期")})
    if exit_reason not in ExitReason.values:
        raise ValidationError({"exit_reason": _("请选择退出原因")})
    enrollment.ended_on = on
    enrollment.exit_reason = exit_reason
    enrollment.exit_note = note
    enrollment.ended_by = user
    enrollment.save()
    _settle(enrollment.person, enrollment.program, Proposal.Action.EXIT, user)
    people_changed(enrollment.person_id)
    return enrollment


def _settle(person: Person, program: str, action: str, user) -> None:
    for proposal in person.proposals.filter(program=program, status="pending"):
        proposal.status = (
            Proposal.Status.CONFIRMED if proposal.action == action else Proposal.Status.SUPERSEDED
        )
        proposal.decided_by = user
        proposal.decided_at = timezone.now()
        proposal.save()


def _locked_proposal(proposal: Proposal) -> Proposal:
    """The proposal re-read under a row lock: of two decisions at the same moment,
    the second sees it decided and is told (该建议已处理), not written twice."""
    return Proposal.objects.select_for_update().select_related("person").get(pk=proposal.pk)


@transaction.atomic
def proposal_confirm(*, user, proposal: Proposal, on: dt.date | None = None):
    on = on or timezone.localdate()
    proposal = _locked_proposal(proposal)
    if proposal.status != Proposal.Status.PENDING:
        raise ValidationError(_("该建议已处理"))
    if proposal.action == Proposal.Action.ENROLL:
        return enrollment_start(user=user, person=proposal.person, program=proposal.program, on=on)
    enrollment = proposal.person.enrollments.get(program=proposal.program, ended_on__isnull=True)
    return enrollment_end(
        user=user, enrollment=enrollment, on=on,
        exit_reason=proposal.exit_reason or ExitReason.OTHER, note=proposal.reason,
    )  # fmt: skip


@transaction.atomic
def proposal_dismiss(*, user, proposal: Proposal) -> Proposal:
    proposal = _locked_proposal(proposal)
    if proposal.status != Proposal.Status.PENDING:
        raise ValidationError(_("该建议已处理"))
    proposal.status = Proposal.Status.DISMISSED
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.save()
    return proposal


@transaction.atomic
def rule_publish(
    *, user, program: str, params: dict, effective_from: dt.date, area: Area | None = None,
    note: str = "",
) -> EligibilityRule:  # fmt: skip
    """A new version of a program's rule (versions are never edited)."""
    cleaned = validate_params(program, params)
    last = EligibilityRule.objects.filter(program=program, area=area).order_by("-version").first()
    try:
        with transaction.atomic():
            return EligibilityRule.objects.create(
                program=program, version=(last.version + 1) if last else 1, area=area,
                effective_from=effective_from, params=cleaned, note=note, created_by=user,
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError(_("另一位管理员刚刚发布了新版本，请刷新后重试")) from None


def exit_label(enrollment: Enrollment) -> str:
    if enrollment.exit_reason == ExitReason.AGE_LIMIT and enrollment.rule_id:
        return exit_reason_text(enrollment.exit_reason, enrollment.rule.params)
    return enrollment.get_exit_reason_display()
