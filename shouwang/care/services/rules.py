"""The visiting rules of a county (走访频次): the defaults until a county
administrator changes them, then the county's own copy."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shouwang.care.models import ObligationRule
from shouwang.care.selectors import rules_by_county
from shouwang.care.services.due_dates import due_dates_forget
from shouwang.core.locking import lock_version, stale_error
from shouwang.regions.models import Area

RULE_FIELDS = (
    "program", "risk_level", "pairing_kind", "duty", "period",
    "escalate_village_days", "escalate_township_days",
)  # fmt: skip


def county_rules(county: Area) -> list[ObligationRule]:
    """The rules in force in `county`: its own, or else the defaults."""
    return rules_by_county([county.code])[county.code]


@transaction.atomic
def rules_customise(*, user, county: Area) -> list[ObligationRule]:
    """Give the county its own copy of the defaults to edit (once)."""
    if ObligationRule.objects.filter(county=county).exists():
        return list(ObligationRule.objects.filter(county=county))
    copies = []
    for default in ObligationRule.objects.filter(county__isnull=True):
        copy = ObligationRule(county=county, updated_by=user)
        for field in RULE_FIELDS:
            setattr(copy, field, getattr(default, field))
        copy.save()  # one by one, so each copy is in the audit log
        copies.append(copy)
    due_dates_forget(area_prefix=county.code[:6])
    return copies


@transaction.atomic
def rule_save(
    *,
    user,
    county: Area,
    data: dict[str, Any],
    rule: ObligationRule | None = None,
    version: int | None = None,
) -> ObligationRule:
    """Add or change one of the county's rules (making the county's copy first). A
    change made on `version` of the rule is refused (code "stale") if someone saved
    it since — or, for a default, if the county made its own copy since."""
    had_own = ObligationRule.objects.filter(county=county).exists()
    rules_customise(user=user, county=county)
    if rule is not None and rule.county_id != county.code:
        if had_own and version is not None:
            raise stale_error()  # the county's copy was made (and maybe changed) meanwhile
        rule = _county_copy(county, rule)
        version = None  # the copy was made just now, from the default as read
    if rule is not None:
        rule = lock_version(ObligationRule, pk=rule.pk, version=version)
    rule = rule or ObligationRule(county=county)
    for field, value in data.items():
        setattr(rule, field, value)
    if rule.escalate_township_days < rule.escalate_village_days:
        raise ValidationError({"escalate_township_days": _("上报乡镇的天数不能少于告知村级的天数")})
    rule.updated_by = user
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise ValidationError(_("已有相同项目、风险等级、结对类别和内容的规则")) from None
    due_dates_forget(area_prefix=county.code[:6])
    return rule


@transaction.atomic
def rule_delete(*, user, county: Area, rule: ObligationRule) -> None:
    """Remove a rule from the county's rules (making the county's copy first)."""
    rules_customise(user=user, county=county)
    if ObligationRule.objects.filter(county=county).count() == 1:
        # A county without rules of its own follows the defaults again.
        raise ValidationError(_("本县至少保留一条规则；要改用默认规则，请点“恢复默认规则”"))
    (rule if rule.county_id == county.code else _county_copy(county, rule)).delete()
    due_dates_forget(area_prefix=county.code[:6])


def _county_copy(county: Area, default: ObligationRule) -> ObligationRule:
    """The county's copy of a default rule, found by what the default is for (as
    read from the database: a bound form may have changed the object)."""
    keys = ObligationRule.objects.filter(pk=default.pk).values(*RULE_FIELDS[:4]).first()
    copy = ObligationRule.objects.filter(county=county, **keys).first() if keys else None
    if copy is None:
        raise ValidationError(_("该规则已不存在，请刷新页面后再试"))
    return copy


@transaction.atomic
def rules_reset(*, user, county: Area) -> int:
    """Drop the county's own rules: the defaults apply again."""
    rules = list(ObligationRule.objects.filter(county=county))
    for rule in rules:
        rule.delete()  # one by one, so each removal is in the audit log
    due_dates_forget(area_prefix=county.code[:6])
    return len(rules)
