"""A person's timeline (动态): assessments, cases, services, aid, activities and
contacts, newest first. Each kind is read through its own `visible_to`, so a case
appears only to those with need-to-know and a volunteer sees only their own
contacts. One query per kind, whatever the length of the history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.care.models import Contact
from shouwang.people.models import Person
from shouwang.protection import rubric
from shouwang.protection.models import Activity, Aid, Assessment, ProtectionCase, Service

PER_KIND = 30
KINDS = ("assessment", "case", "service", "aid", "activity", "contact")


@dataclass(frozen=True)
class Event:
    day: dt.date
    kind: str  # assessment, case, service, aid, activity, contact
    label: str
    text: str
    url: str = ""
    colour: str = ""


def person_timeline(
    user, person: Person, *, limit: int = PER_KIND, kinds: tuple[str, ...] = KINDS
) -> list[Event]:
    """The person's events of `kinds`, newest first, at most `limit` of each kind."""
    events: list[Event] = []
    limits = {kind: limit if kind in kinds else 0 for kind in KINDS}
    for a in (
        Assessment.objects.visible_to(user)
        .filter(person=person)
        .select_related("grade", "assessed_by")[: limits["assessment"]]
    ):
        flags = "、".join(rubric.red_flag_labels(a.red_flags))
        text = _("%(grade)s，%(score)s 分") % {"grade": a.grade.label, "score": a.score}
        if flags:
            text += _("；高危情形：%(flags)s") % {"flags": flags}
        if a.overridden:
            text += _("；人工调整：%(reason)s") % {"reason": a.override_reason}
        url = reverse("protection:assessment", args=[a.pk])
        events.append(Event(a.assessed_on, "assessment", _("风险评估"), text, url, a.grade.colour))
    for case in ProtectionCase.objects.visible_to(user).filter(people=person)[: limits["case"]]:
        text = f"{case.number} {case.get_category_display()} · {case.get_state_display()}"
        events.append(Event(timezone.localtime(case.created_at).date(), "case", _("保护案件"), text,
                            reverse("protection:case", args=[case.pk])))  # fmt: skip
    for s in Service.objects.visible_to(user).filter(person=person)[: limits["service"]]:
        text = f"{s.get_kind_display()} · {s.provider}" + (f"：{s.notes}" if s.notes else "")
        events.append(Event(s.date, "service", _("服务"), text))
    aid_rows = Aid.objects.visible_to(user).filter(person=person).select_related("relation")
    for aid in aid_rows[: limits["aid"]]:
        what = (
            _("%(amount)s 元") % {"amount": aid.amount}
            if aid.kind == "cash"
            else _("%(items)s（折合 %(value)s 元）") % {"items": aid.items, "value": aid.value}
        )
        to = f"（{_('发给')} {aid.relation.get_kind_display()}）" if aid.relation_id else ""
        events.append(Event(aid.date, "aid", aid.get_kind_display(),
                            f"{what}{to} · {aid.giver}"))  # fmt: skip
    for act in (
        Activity.objects.visible_to(user).filter(participants=person).select_related("station")
    )[: limits["activity"]]:
        events.append(Event(act.date, "activity", _("阵地活动"),
                            f"{act.title} · {act.station.name}",
                            reverse("protection:activity", args=[act.pk])))  # fmt: skip
    for contact in (
        Contact.objects.visible_to(user)
        .filter(person=person)
        .select_related("volunteer", "recorded_by")
        .defer("notes")[: limits["contact"]]
    ):
        events.append(Event(contact.date, "contact", _("联系"),
                            f"{contact.get_kind_display()} · {contact.who or '—'}"))  # fmt: skip
    events.sort(key=lambda e: e.day, reverse=True)
    return events
