"""Care stations (关爱阵地) with their 八有 checklist, and the activities held there.

What must hold: a station is in a village of the recorder's scope; an activity's
participants are people on file in the recorder's scope and in the station's
township, its volunteers approved volunteers in the scope; aid handed out at an
activity is one `Aid` per participant linked to it (`Aid.activity`), with the
same checks as any aid. Each write is all or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.audit.services import Action, Change, audit_bulk
from shouwang.care.choices import VolunteerStatus
from shouwang.care.models import Volunteer
from shouwang.core.locking import lock_version
from shouwang.people.choices import PersonStatus
from shouwang.people.models import Person
from shouwang.protection import choices as c
from shouwang.protection.models import Activity, Aid, Station
from shouwang.protection.services.support import aid_content, aid_errors
from shouwang.regions.models import Area, Level

# Names shown in an error before "等 N 人".
_NAMED = 5


@dataclass(frozen=True)
class AidSpec:
    """Aid handed out to every participant of an activity: the same kind, amount or
    items and value, giver and fund for each."""

    kind: str
    giver: str
    fund: str
    amount: Decimal | None = None
    items: str = ""
    value: Decimal | None = None


def _names(rows: list[str]) -> str:
    shown = "、".join(rows[:_NAMED])
    if len(rows) > _NAMED:
        shown += _("等 %(n)s 人") % {"n": len(rows)}
    return shown


def _station_errors(
    *, user, village: Area, kind: str, name: str, opened_on: dt.date | None,
    haves: Iterable[str], station: Station | None = None,
) -> dict[str, str]:  # fmt: skip
    errors: dict[str, str] = {}
    if not Area.objects.visible_to(user).filter(pk=village.pk).exists():
        raise PermissionDenied(_("该村（社区）不在您的管辖范围内"))
    if village.level != Level.VILLAGE:
        errors["village"] = _("关爱阵地须建在村（社区），请选择村（社区）")
    if kind not in c.StationKind.values:
        errors["kind"] = _("请选择阵地类别")
    if not name.strip():
        errors["name"] = _("请填写阵地名称")
    elif len(name.strip()) > 100:
        errors["name"] = _("名称不能超过 100 字")
    elif "village" not in errors:
        same = Station.objects.filter(village=village, name=name.strip())
        if station is not None:
            same = same.exclude(pk=station.pk)
        if same.exists():
            errors["name"] = _("本村已有同名的关爱阵地")
    if opened_on is not None and opened_on > timezone.localdate():
        errors["opened_on"] = _("建成日期不能晚于今天")
    unknown = set(haves) - set(c.EIGHT_HAVES)
    if unknown:
        errors["haves"] = _("“八有”中没有这一项：%(names)s") % {"names": "、".join(sorted(unknown))}
    return errors


def _apply(station: Station, *, village, kind, name, address, manager, opened_on, haves) -> None:
    station.village = village
    station.kind = kind
    station.name = name.strip()
    station.address = address.strip()
    station.manager = manager.strip()
    station.opened_on = opened_on
    for field in c.EIGHT_HAVES:
        setattr(station, field, field in haves)


@transaction.atomic
def station_create(
    *,
    user,
    village: Area,
    kind: str,
    name: str,
    address: str = "",
    manager: str = "",
    opened_on: dt.date | None = None,
    haves: Iterable[str] = (),
) -> Station:
    """Register a station in a village of the user's scope; `haves` names the 八有
    items in place (field names of `choices.EIGHT_HAVES`)."""
    if not user.has_perm("protection.add_station"):
        raise PermissionDenied(_("无权登记关爱阵地"))
    haves = set(haves)
    errors = _station_errors(user=user, village=village, kind=kind, name=name,
                             opened_on=opened_on, haves=haves)  # fmt: skip
    if len(address.strip()) > 200:
        errors["address"] = _("地址不能超过 200 字")
    if len(manager.strip()) > 50:
        errors["manager"] = _("负责人不能超过 50 字")
    if errors:
        raise ValidationError(errors)
    station = Station()
    _apply(station, village=village, kind=kind, name=name, address=address, manager=manager,
           opened_on=opened_on, haves=haves)  # fmt: skip
    station.save()
    return station


@transaction.atomic
def station_update(
    *,
    user,
    station: Station,
    village: Area,
    kind: str,
    name: str,
    address: str,
    manager: str,
    opened_on: dt.date | None,
    haves: Iterable[str],
    version: int | None = None,
) -> Station:
    """Change a station (in scope, and moved only within the scope) and its 八有, as
    edited on `version` (refused, code "stale", if someone saved it since)."""
    if not user.has_perm("protection.change_station") or not (
        Station.objects.visible_to(user).filter(pk=station.pk).exists()
    ):
        raise PermissionDenied(_("该阵地不在您的管辖范围内"))
    haves = set(haves)
    errors = _station_errors(user=user, village=village, kind=kind, name=name,
                             opened_on=opened_on, haves=haves, station=station)  # fmt: skip
    if len(address.strip()) > 200:
        errors["address"] = _("地址不能超过 200 字")
    if len(manager.strip()) > 50:
        errors["manager"] = _("负责人不能超过 50 字")
    if errors:
        raise ValidationError(errors)
    station = lock_version(Station, pk=station.pk, version=version)
    _apply(station, village=village, kind=kind, name=name, address=address, manager=manager,
           opened_on=opened_on, haves=haves)  # fmt: skip
    station.save()
    return station


def _participant_errors(user, station: Station, people: list[Person]) -> str:
    township = station.village_id[:9]
    visible = set(
        Person.objects.visible_to(user)
        .filter(pk__in=[p.pk for p in people], status=PersonStatus.ACTIVE)
        .values_list("pk", flat=True)
    )
    outside = [p.name for p in people if p.pk not in visible or p.village_id[:9] != township]
    if not outside:
        return ""
    return _("以下人员不在本阵地所在乡镇、不在您的管辖范围内或已不在册：%(names)s") % {
        "names": _names(outside)
    }


def _volunteer_errors(user, volunteers: list[Volunteer]) -> str:
    approved = set(
        Volunteer.objects.visible_to(user)
        .filter(pk__in=[v.pk for v in volunteers], status=VolunteerStatus.APPROVED)
        .values_list("pk", flat=True)
    )
    outside = [v.name for v in volunteers if v.pk not in approved]
    if not outside:
        return ""
    return _("以下志愿者不在您的管辖范围内或未通过审查：%(names)s") % {"names": _names(outside)}


@transaction.atomic
def activity_record(
    *,
    user,
    station: Station,
    date: dt.date,
    kind: str,
    title: str,
    description: str = "",
    participants: Iterable[Person] = (),
    volunteers: Iterable[Volunteer] = (),
    aid: AidSpec | None = None,
) -> Activity:
    """Record an activity held at `station`, who took part, and — when `aid` is
    given — one aid per participant, linked to the activity. Refused, with a
    message per field and nothing saved: a station outside the scope
    (PermissionDenied), a date in the future or before the station opened, an
    unknown kind, no title, a participant outside the station's township or the
    user's scope, a volunteer outside the scope or not approved, aid without
    participants or with the faults of any aid (errors at `aid_<field>`)."""
    if not user.has_perm("protection.add_activity") or not (
        Station.objects.visible_to(user).filter(pk=station.pk).exists()
    ):
        raise PermissionDenied(_("该阵地不在您的管辖范围内"))
    if aid is not None and not user.has_perm("protection.add_aid"):
        raise PermissionDenied(_("无权登记慰问"))
    people = list({p.pk: p for p in participants}.values())
    carers = list({v.pk: v for v in volunteers}.values())
    errors: dict[str, str] = {}
    if not isinstance(date, dt.date):
        errors["date"] = _("请填写活动日期")
    elif date > timezone.localdate():
        errors["date"] = _("活动日期不能晚于今天")
    elif station.opened_on and date < station.opened_on:
        errors["date"] = _("活动日期不能早于阵地建成日期（%(day)s）") % {
            "day": station.opened_on.isoformat()
        }
    if kind not in c.ActivityKind.values:
        errors["kind"] = _("请选择活动类别")
    if not title.strip():
        errors["title"] = _("请填写活动名称")
    elif len(title.strip()) > 100:
        errors["title"] = _("活动名称不能超过 100 字")
    if message := _participant_errors(user, station, people):
        errors["participants"] = message
    if message := _volunteer_errors(user, carers):
        errors["volunteers"] = message
    if aid is not None:
        errors.update(aid_errors(kind=aid.kind, amount=aid.amount, items=aid.items,
                                 value=aid.value, giver=aid.giver, fund=aid.fund,
                                 prefix="aid_"))  # fmt: skip
        if not people and "participants" not in errors:
            errors["participants"] = _("发放慰问须选择领取慰问的参加人员")
    if errors:
        raise ValidationError(errors)
    activity = Activity.objects.create(
        station=station,
        date=date,
        kind=kind,
        title=title.strip(),
        description=description.strip(),
        recorded_by=user,
    )
    activity.participants.set(people)
    activity.volunteers.set(carers)
    if aid is not None:
        _aid_at(activity, people, aid, user)
    return activity


def _aid_at(activity: Activity, people: list[Person], aid: AidSpec, user) -> None:
    """One aid row per participant, written in bulk and audited in bulk."""
    content = aid_content(kind=aid.kind, amount=aid.amount, items=aid.items, value=aid.value)
    rows = Aid.objects.bulk_create(
        Aid(person=person, kind=aid.kind, date=activity.date, giver=aid.giver.strip(),
            fund=aid.fund, activity=activity, recorded_by=user, **content)
        for person in people
    )  # fmt: skip
    fields = {"kind": aid.kind, "date": activity.date.isoformat(), "giver": aid.giver.strip(),
              "fund": aid.fund, "activity": activity.pk,
              **{k: str(v) for k, v in content.items() if v not in (None, "")}}  # fmt: skip
    audit_bulk(
        model=Aid,
        changes=[
            Change(
                row.pk,
                str(row),
                Action.CREATE,
                {"person": [None, row.person_id], **{k: [None, v] for k, v in fields.items()}},
            )
            for row in rows
        ],  # fmt: skip
        source="activity",
    )
