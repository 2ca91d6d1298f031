"""Volunteers: registration (报名), review (审查 → 通过 / 驳回) and withdrawal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.care.choices import Disqualification, PairingEndReason, VolunteerStatus
from shouwang.care.models import Volunteer
from shouwang.core.locking import lock_version
from shouwang.people.forms import phone_index

S = VolunteerStatus
REVIEWABLE = {S.APPLIED, S.REVIEWING}


def _apply(volunteer: Volunteer, data: dict[str, Any]) -> None:
    for field, value in data.items():
        setattr(volunteer, field, value)
    volunteer.phone_index = phone_index(volunteer.phone) if volunteer.phone else ""


@transaction.atomic
def volunteer_register(*, user, data: dict[str, Any]) -> Volunteer:
    """Register a volunteer from validated form data (status 已报名)."""
    volunteer = Volunteer(created_by=user if user and user.is_authenticated else None)
    _apply(volunteer, data)
    volunteer.full_clean(exclude=["phone"])
    volunteer.save()
    return volunteer


def volunteer_capacity_error(*, capacity: int, active: int) -> str:
    """The rule on a volunteer's capacity (可结对人数) against the pairings in force
    (`active`, as `selectors.with_load` counts them): "" when it holds. The one
    definition for the edit page and the ledger import."""
    if capacity < active:
        return _("该志愿者当前结对 %(n)s 人，可结对人数不能少于此数") % {"n": active}
    return ""


def _locked(volunteer: Volunteer, version: int | None = None) -> Volunteer:
    """The volunteer's row, locked for this transaction and checked to be at
    `version` (optimistic locking); state changes re-check the state on it, so a
    second reviewer acting at the same moment is told, not written twice."""
    return lock_version(Volunteer, pk=volunteer.pk, version=version)


@transaction.atomic
def volunteer_update(
    *, user, volunteer: Volunteer, data: dict[str, Any], version: int | None = None
) -> Volunteer:
    """Change a volunteer's details, as edited on `version` (refused, code "stale",
    if someone saved since). Capacity cannot drop below the people they look after
    now."""
    from shouwang.care.selectors import with_load

    volunteer = _locked(volunteer, version)
    _apply(volunteer, data)
    active = with_load(Volunteer.objects.filter(pk=volunteer.pk)).get().active_pairings
    if message := volunteer_capacity_error(capacity=volunteer.capacity, active=active):
        raise ValidationError({"capacity": message})
    volunteer.full_clean(exclude=["phone"])
    volunteer.save()
    return volunteer


@transaction.atomic
def volunteer_review_start(*, user, volunteer: Volunteer) -> Volunteer:
    """报名 → 审查中."""
    volunteer = _locked(volunteer)
    if volunteer.status != S.APPLIED:
        raise ValidationError(_("只有已报名的志愿者可以开始审查"))
    volunteer.status = S.REVIEWING
    volunteer.reviewed_by = user
    volunteer.save(update_fields=["status", "reviewed_by", "version", "updated_at"])
    return volunteer


@transaction.atomic
def volunteer_decide(
    *,
    user,
    volunteer: Volunteer,
    approve: bool,
    record_checked: bool,
    disqualifications: list[str],
    reason: str = "",
) -> Volunteer:
    """Approve or reject a volunteer after the review.

    Approval needs the criminal-record check done and none of the situations of
    未成年人保护法 第二十二条 found; a rejection needs a reason.
    """
    volunteer = _locked(volunteer)
    if volunteer.status not in REVIEWABLE:
        raise ValidationError(_("该志愿者已审查完毕"))
    valid = set(Disqualification.values)
    found = sorted(set(disqualifications) & valid)
    reason = reason.strip()
    if approve:
        errors = {}
        if not record_checked:
            errors["record_checked"] = _("通过前须完成违法犯罪记录查询")
        if found:
            errors["disqualifications"] = _(
                "存在《未成年人保护法》第二十二条规定的情形，不能通过审查"
            )
        if errors:
            raise ValidationError(errors)
    elif not reason:
        raise ValidationError({"reason": _("驳回须填写理由")})
    volunteer.status = S.APPROVED if approve else S.REJECTED
    volunteer.record_checked = record_checked
    volunteer.disqualifications = found
    volunteer.review_reason = reason
    volunteer.reviewed_by = user
    volunteer.reviewed_at = timezone.now()
    volunteer.save()
    return volunteer


@transaction.atomic
def volunteer_withdraw(
    *, user, volunteer: Volunteer, on: dt.date | None = None, reason: str = ""
) -> Volunteer:
    """An approved volunteer leaves (退出): their open pairings end that day."""
    from shouwang.care.services.pairings import pairing_end

    volunteer = _locked(volunteer)
    if volunteer.status != S.APPROVED:
        raise ValidationError(_("只有已通过审查的志愿者可以退出"))
    on = on or timezone.localdate()
    for pairing in volunteer.pairings.filter(ended_on__isnull=True).select_related("person"):
        pairing_end(
            user=user, pairing=pairing, ended_on=max(on, pairing.started_on),
            reason=PairingEndReason.VOLUNTEER_LEFT, note=reason,
        )  # fmt: skip
    volunteer.status = S.WITHDRAWN
    volunteer.review_reason = reason.strip()
    volunteer.save(update_fields=["status", "review_reason", "version", "updated_at"])
    return volunteer


@transaction.atomic
def volunteer_login_link(*, user, volunteer: Volunteer, login) -> Volunteer:
    """Give an approved volunteer their login (a user with role 志愿者), through
    which they see only the people paired with them."""
    from shouwang.accounts.roles import Role

    if login.role != Role.VOLUNTEER:
        raise ValidationError(_("只能关联角色为志愿者的账号"))
    volunteer = _locked(volunteer)
    if volunteer.status != S.APPROVED:
        raise ValidationError(_("只有已通过审查的志愿者可以关联登录账号"))
    if volunteer.user_id is not None or Volunteer.objects.filter(user=login).exists():
        raise ValidationError(_("该志愿者或该账号已关联"))
    volunteer.user = login
    volunteer.save(update_fields=["user", "version", "updated_at"])
    return volunteer


def volunteer_phone_reveal(*, user, volunteer: Volunteer) -> str:
    """A volunteer's full phone number, for staff who may reveal sensitive data;
    every reveal is an audit entry, as in the registry."""
    from django.core.exceptions import PermissionDenied

    from shouwang.audit.services import audit_access

    if not user.has_perm("people.reveal_sensitive"):
        raise PermissionDenied
    audit_access(instance=volunteer, fields=["phone"])
    return volunteer.phone
