"""The demo county's care network (结对关爱): volunteers, pairings and a year of
contacts for the families of `shouwang.people.demo`, shaped like the seed county
松溪县 — 382 代理家长, 287 爱心妈妈, 551 teacher volunteers and 1,038 volunteers for
the elderly for its 781 left-behind children and 2,079 left-behind elderly (the
numbers follow the county's enrollments, so a scaled-down county gets fewer).

What the demo shows on purpose:
- a review queue: a few volunteers 已报名 or 审查中, some 已驳回 with a reason, a few
  who withdrew (their pairings ended; most of their people were paired again);
- coverage gaps: about 8 % of left-behind children and 15 % of the elderly have no
  pairing (key children — in difficulty or at high risk — almost never);
- contacts with the gaps real ledgers have: proxy parents weekly, a home visit and a
  talk with the head teacher most months, 亲情通话 monthly for about 80 % of the
  children, elderly visits by risk tier with missed months, a few open concerns;
- overdue obligations today in the villages that have a worker or volunteer login.

Holds, as the services would enforce it: only approved volunteers (some withdrawn
since) were paired, never above capacity; a contact by a volunteer falls inside
their pairing with the person and carries its kind; a 亲情通话 names a parent
working away; no contact is in the future or before the person's file existed.
For that last rule `Person.created_at` is backdated to the person's first
enrollment (the files describe people enrolled for years) — or the household's,
for people on file without one — and no pairing starts before it.

Deterministic for a seed and a day; idempotent (a county with volunteers is left
alone). Written with `bulk_create` and audited with `audit_bulk`: one entry per
volunteer, pairing and contact, without phones.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from shouwang.care.choices import CarerKind, VolunteerStatus
from shouwang.care.demo.network import Network
from shouwang.care.models import Contact, Pairing, Volunteer


def care_demo_load(
    *, county_code: str = "350724", today: dt.date | None = None, seed: int = 724
) -> dict[str, int]:
    """Give the county's families (`people_demo_load`) a care network: volunteers,
    pairings and a year of contacts up to `today`. Nothing is written when the
    county already has volunteers. Returns `care_demo_counts`."""
    today = today or timezone.localdate()
    with transaction.atomic():
        if not Volunteer.objects.in_area_prefix(county_code).exists():
            Network(county_code=county_code, today=today, rng=random.Random(seed)).build()
    return care_demo_counts(county_code=county_code, today=today)


def care_demo_counts(*, county_code: str = "350724", today: dt.date | None = None):
    """What the county's care network holds: volunteers by kind and by review
    status, pairings (all and in force), contacts and concerns still open."""
    volunteers = Volunteer.objects.in_area_prefix(county_code)
    by_kind = dict(volunteers.values_list("kind").annotate(n=Count("id")).order_by())
    by_status = dict(volunteers.values_list("status").annotate(n=Count("id")).order_by())
    pairings = Pairing.objects.in_area_prefix(county_code)
    contacts = Contact.objects.in_area_prefix(county_code)
    return {
        "volunteers": sum(by_kind.values()),
        **{kind: by_kind.get(kind, 0) for kind in CarerKind.values},
        **{f"volunteers_{status}": by_status.get(status, 0) for status in VolunteerStatus.values},
        "pairings": pairings.count(),
        "pairings_in_force": pairings.active(today).count(),
        "contacts": contacts.count(),
        "concerns_open": contacts.filter(concern=True, concern_resolved_at__isnull=True).count(),
    }
