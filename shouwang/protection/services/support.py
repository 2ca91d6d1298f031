"""Services delivered to a person (服务记录) and aid handed out (慰问救助).

What must hold: an aid row is cash with a positive `amount`, or goods with the
items named and a positive `value` — never negative, never empty; it goes to a
person in the recorder's scope, or to one of that person's own relatives
(`relation`); nothing is dated in the future. The checks of an aid's amounts
(`aid_errors`) are shared with the aid handed out at a station's activity.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.care.choices import VolunteerStatus
from shouwang.care.models import Volunteer
from shouwang.people.choices import PersonStatus
from shouwang.people.models import Person, Relation
from shouwang.protection import choices as c
from shouwang.protection.models import Activity, Aid, Service

# The largest amount the ledger holds (Aid.amount: 10 digits, 2 after the point).
MAX_AMOUNT = Decimal("99999999.99")


def _in_scope(user, person: Person, permission: str) -> None:
    if not user.has_perm(permission) or not (
        Person.objects.visible_to(user).filter(pk=person.pk).exists()
    ):
        raise PermissionDenied(_("该人员不在您的管辖范围内"))


def _date_errors(errors: dict[str, str], field: str, date, person: Person | None, today) -> None:
    if not isinstance(date, dt.date):
        errors[field] = _("请填写日期")
    elif date > today:
        errors[field] = _("日期不能晚于今天")
    elif person is not None and date < person.birth_date:
        errors[field] = _("日期不能早于出生日期（%(day)s）") % {
            "day": person.birth_date.isoformat()
        }


def _money(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal("NaN")


def _money_error(value: Decimal | None, *, missing: str) -> str:
    if value is None:
        return missing
    if not value.is_finite():
        return _("请填写数字金额")
    if value < 0:
        return _("金额不能为负数")
    if value == 0:
        return _("金额必须大于 0")
    if value > MAX_AMOUNT:
        return _("金额过大，请核对")
    if value != value.quantize(Decimal("0.01")):
        return _("金额最多保留两位小数")
    return ""


def aid_errors(
    *, kind: str, amount, items: str, value, giver: str, fund: str, prefix: str = ""
) -> dict[str, str]:
    """What is wrong with the content of an aid (field → message; empty when fine).
    `prefix` names the fields as a form that holds them among others does
    (`aid_amount` on the activity form)."""
    errors: dict[str, str] = {}
    if kind not in c.AidKind.values:
        errors["kind"] = _("请选择慰问类别（慰问金或慰问品）")
    elif kind == c.AidKind.CASH:
        if message := _money_error(_money(amount), missing=_("请填写慰问金金额")):
            errors["amount"] = message
    else:
        if not items.strip():
            errors["items"] = _("请填写慰问品名称和数量")
        elif len(items.strip()) > 200:
            errors["items"] = _("物品内容不能超过 200 字")
        if message := _money_error(_money(value), missing=_("请填写慰问品折合金额")):
            errors["value"] = message
    if not giver.strip():
        errors["giver"] = _("请填写发放单位或人员")
    elif len(giver.strip()) > 100:
        errors["giver"] = _("发放单位或人员不能超过 100 字")
    if fund not in c.Fund.values:
        errors["fund"] = _("请选择资金来源")
    return {f"{prefix}{field}": message for field, message in errors.items()}


def aid_content(*, kind: str, amount, items: str, value) -> dict:
    """The stored form of a valid aid: only the columns of its kind are filled."""
    cent = Decimal("0.01")
    if kind == c.AidKind.CASH:
        return {"amount": _money(amount).quantize(cent), "items": "", "value": None}
    return {"amount": None, "items": items.strip(), "value": _money(value).quantize(cent)}


def volunteer_error(user, volunteer: Volunteer | None) -> str:
    if volunteer is None:
        return ""
    visible = Volunteer.objects.visible_to(user).filter(
        pk=volunteer.pk, status=VolunteerStatus.APPROVED
    )
    return "" if visible.exists() else _("请选择您辖区内已通过审查的志愿者")


@transaction.atomic
def service_record(
    *,
    user,
    person: Person,
    kind: str,
    date: dt.date,
    provider: str,
    volunteer: Volunteer | None = None,
    fund: str = "",
    notes: str = "",
) -> Service:
    """Record a service delivered to `person`. Refused, with a message per field
    and nothing saved: a person outside the user's scope (PermissionDenied) or no
    longer on file, an unknown kind or fund, a date in the future or before the
    person was born, no provider, a volunteer outside the scope or not approved."""
    _in_scope(user, person, "protection.add_service")
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if person.status != PersonStatus.ACTIVE:
        errors["__all__"] = _("该档案已不在册，不能记录服务")
    if kind not in c.ServiceKind.values:
        errors["kind"] = _("请选择服务类别")
    _date_errors(errors, "date", date, person, today)
    if not provider.strip():
        errors["provider"] = _("请填写服务提供方")
    elif len(provider.strip()) > 100:
        errors["provider"] = _("服务提供方不能超过 100 字")
    if message := volunteer_error(user, volunteer):
        errors["volunteer"] = message
    if fund and fund not in c.Fund.values:
        errors["fund"] = _("请选择资金来源")
    if len(notes.strip()) > 300:
        errors["notes"] = _("服务内容不能超过 300 字")
    if errors:
        raise ValidationError(errors)
    return Service.objects.create(
        person=person,
        kind=kind,
        date=date,
        provider=provider.strip(),
        volunteer=volunteer,
        fund=fund,
        notes=notes.strip(),
        recorded_by=user,
    )


@transaction.atomic
def aid_record(
    *,
    user,
    person: Person,
    kind: str,
    date: dt.date,
    giver: str,
    fund: str,
    amount: Decimal | None = None,
    items: str = "",
    value: Decimal | None = None,
    relation: Relation | None = None,
    activity: Activity | None = None,
) -> Aid:
    """Record aid to `person`, or to `relation`, a relative of theirs (typically
    working away), or handed out at `activity`. Refused, with a message per field
    and nothing saved: a person outside the scope (PermissionDenied) or no longer
    on file, cash without a positive amount, goods without items or a positive
    value, a date in the future, a relation of somebody else, an activity outside
    the scope, on another day or that the person did not take part in."""
    _in_scope(user, person, "protection.add_aid")
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if person.status != PersonStatus.ACTIVE:
        errors["__all__"] = _("该档案已不在册，不能登记慰问")
    errors.update(
        aid_errors(kind=kind, amount=amount, items=items, value=value, giver=giver, fund=fund)
    )
    _date_errors(errors, "date", date, None, today)
    if relation is not None and relation.person_id != person.pk:
        errors["relation"] = _("该亲属不是此人的家庭成员")
    if activity is not None:
        held = Activity.objects.visible_to(user).filter(pk=activity.pk)
        if not held.exists():
            errors["activity"] = _("该活动不在您的管辖范围内")
        elif not activity.participants.filter(pk=person.pk).exists():
            errors["activity"] = _("该人员未参加此活动")
        elif "date" not in errors and date != activity.date:
            errors["date"] = _("活动中发放的慰问，日期应为活动日期（%(day)s）") % {
                "day": activity.date.isoformat()
            }
    if errors:
        raise ValidationError(errors)
    return Aid.objects.create(
        person=person,
        relation=relation,
        kind=kind,
        date=date,
        giver=giver.strip(),
        fund=fund,
        activity=activity,
        recorded_by=user,
        **aid_content(kind=kind, amount=amount, items=items, value=value),
    )
