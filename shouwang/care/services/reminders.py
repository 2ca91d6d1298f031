"""The daily reminders (提醒): in-app notifications for contacts coming due and
overdue, escalated to the village worker and then the township supervisor, and
sent out through the configured channel (shouwang.care.channels).

What must hold:
- a carer with a login hears of an obligation `REMINDER_DAYS_AHEAD` days before
  it falls due (kind due) and once it is overdue (kind overdue), at level 0;
- once `days_overdue` reaches the rule's `escalate_village_days`, the active
  village workers of the person's village hear of it (level 1); at
  `escalate_township_days` the active supervisors of its township (level 2);
- one notification per user, obligation, due date, kind and level, ever
  (`Notification.key` is unique): running the job twice creates nothing twice;
- a notification is sent out once: `sent_at` is set only after the channel took
  it, so a failed send is retried on the next run and never stops the run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.care import choices as c
from shouwang.care.channels import Channel, get_channel
from shouwang.care.models import Notification
from shouwang.care.obligations import State
from shouwang.care.selectors import Obligation, counties_with_people, obligations_for
from shouwang.people.models import Person

logger = logging.getLogger("shouwang.care.reminders")

CARERS, VILLAGE, TOWNSHIP = 0, 1, 2
_CHUNK = 500  # keys per `IN (...)`: well inside SQLite's limit on parameters


def reminders_run(*, today: dt.date | None = None, channel: Channel | None = None) -> dict:
    """Create the notifications owed on `today` (default: today in Beijing time),
    then send every unsent one through `channel` (default: NOTIFY_CHANNEL), one
    message per user. Safe to re-run; returns counts of what it did.

    A system job: it reads every county that has people on file, one county at a
    time (a fixed number of queries per county, whatever its size).
    """
    today = today or timezone.localdate()
    counts = {"counties": 0, "obligations": 0, "created": 0}
    for county in counties_with_people():
        counts["counties"] += 1
        obligations = obligations_for(
            Person.objects.in_area_prefix(county), today=today, states={State.DUE, State.OVERDUE}
        )
        counts["obligations"] += len(obligations)
        counts["created"] += _create(_drafts(obligations, county=county, today=today))
    return counts | reminders_send(channel=channel or get_channel())


def notifications_mark_read(*, user) -> int:
    """Mark all of `user`'s unread notifications read; return how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def reminders_send(*, channel: Channel) -> dict:
    """Send each active user's unsent notifications as one message; mark them sent
    only when the channel took the message. A failure is logged and left for the
    next run."""
    counts = {"messages": 0, "sent": 0, "failed": 0}
    pending_users = list(
        Notification.objects.filter(sent_at__isnull=True, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
    for user_id in pending_users:
        with transaction.atomic():
            _send_one(channel, user_id, counts)
    return counts


def _send_one(channel: Channel, user_id: int, counts: dict) -> None:
    """One user's unsent notifications, locked (PostgreSQL: skipped if another run
    holds them) until they are marked sent, so overlapping runs send them once."""
    notifications = list(
        Notification.objects.filter(user_id=user_id, sent_at__isnull=True)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("user", "person__village")
        .only(
            "user__username",
            "user__full_name",
            "person__name",
            "person__village__name",
            "kind",
            "duty",
            "due_on",
            "level",
            "text",
        )
        .order_by("-level", "due_on", "id")
    )
    if not notifications:
        return  # sent meanwhile by an overlapping run
    try:
        channel.send(user=notifications[0].user, notifications=notifications)
    except Exception:
        # Any failure of one message (network, robot, a bug in a channel) must
        # not stop the others: log it, keep the notifications unsent, go on.
        logger.exception("reminders for user %s not sent; retried on the next run", user_id)
        counts["failed"] += 1
        return
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(sent_at=timezone.now())
    counts["messages"] += 1
    counts["sent"] += len(notifications)


# --- what is owed ----------------------------------------------------------------


def _drafts(obligations: list[Obligation], *, county: str, today: dt.date) -> dict:
    """{key: unsaved Notification} for one county's obligations on `today`."""
    ahead = settings.REMINDER_DAYS_AHEAD
    carer_users = _active(
        {cr.user_id for o in obligations for cr in o.carers if cr.user_id is not None}
    )
    village_workers: dict[str, list[int]] = defaultdict(list)
    supervisors: dict[str, list[int]] = defaultdict(list)
    for user_id, role, area in (
        User.objects.filter(
            is_active=True, role__in=(Role.VILLAGE_WORKER, Role.TOWNSHIP_SUPERVISOR)
        )
        .in_area_prefix(county)
        .values_list("pk", "role", "scope_area_id")
    ):
        (village_workers if role == Role.VILLAGE_WORKER else supervisors)[area].append(user_id)

    drafts: dict[str, Notification] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for o in obligations:
            if o.state == State.DUE and (o.due_on - today).days <= ahead:
                recipients = {CARERS: _carer_users(o, carer_users)}
            elif o.state == State.OVERDUE:
                recipients = {CARERS: _carer_users(o, carer_users)}
                if o.days_overdue >= o.rule.escalate_village_days:
                    recipients[VILLAGE] = village_workers.get(o.village_id, [])
                if o.days_overdue >= o.rule.escalate_township_days:
                    recipients[TOWNSHIP] = supervisors.get(o.village_id[:9] + "000", [])
            else:
                continue
            for level, users in recipients.items():
                if not users:
                    continue
                kind = _kind(o, level)
                text = _text(o, kind=kind, level=level)
                for user_id in users:
                    key = _key(user_id, o, kind, level)
                    drafts[key] = Notification(
                        user_id=user_id, person_id=o.person_id, kind=kind, duty=o.duty,
                        due_on=o.due_on, level=level, text=text, key=key,
                    )  # fmt: skip
    return drafts


def _kind(o: Obligation, level: int) -> str:
    if o.state == State.DUE:
        return c.NotificationKind.DUE
    return c.NotificationKind.OVERDUE if level == CARERS else c.NotificationKind.ESCALATED


def _carer_users(o: Obligation, active: set[int]) -> list[int]:
    return sorted({cr.user_id for cr in o.carers if cr.user_id in active})


def _active(user_ids: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(user_ids)):
        found.update(User.objects.filter(pk__in=chunk, is_active=True).values_list("pk", flat=True))
    return found


def _key(user_id: int, o: Obligation, kind: str, level: int) -> str:
    # At most 19+19+20+20+8+9+1 characters and 6 colons: inside the column's 120.
    due = o.due_on.strftime("%Y%m%d")
    return f"{user_id}:{o.person_id}:{o.duty}:{o.rule.pairing_kind}:{due}:{kind}:{level}"


def _text(o: Obligation, *, kind: str, level: int) -> str:
    data = {
        "name": o.person_name,
        "village": o.village_name,
        "duty": o.duty_label,
        "due": o.due_on.isoformat(),
        "days": o.days_overdue,
    }
    if kind == c.NotificationKind.DUE:
        text = _("%(name)s（%(village)s）%(duty)s应于 %(due)s 前完成，即将到期") % data
    else:
        text = _("%(name)s（%(village)s）%(duty)s已逾期 %(days)s 天，应于 %(due)s 前完成") % data
    if level != CARERS:
        carers = "、".join(cr.name for cr in o.carers)
        who = _("结对人：%(carers)s") % {"carers": carers} if carers else _("尚无结对人")
        prefix = _("【村级提醒】") if level == VILLAGE else _("【乡镇督办】")
        text = f"{prefix}{text}（{who}）"
    return text[:300]


# --- writing -----------------------------------------------------------------------


@transaction.atomic
def _create(drafts: dict[str, Notification]) -> int:
    """Insert the drafts whose key is new; return how many. `ignore_conflicts`
    covers a key inserted by an overlapping run between the check and the insert."""
    existing: set[str] = set()
    for chunk in _chunks(list(drafts)):
        existing.update(Notification.objects.filter(key__in=chunk).values_list("key", flat=True))
    new = [draft for key, draft in drafts.items() if key not in existing]
    Notification.objects.bulk_create(new, ignore_conflicts=True, batch_size=_CHUNK)
    return len(new)


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
