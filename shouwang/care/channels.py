"""Outbound channels for reminders: how a user's new notifications leave Shouwang.

A channel sends one message per user per reminder run and raises `ChannelError`
when the message did not go out, so the notifications stay unsent and the next
run tries again. Messages leave the platform (a server log, a 企业微信 group), so
they carry a masked name (王*明), the village, the duty and the date — never a
full name, an ID number or a phone. The full text stays in the in-app list.

`NOTIFY_CHANNEL` picks the channel: "log" (default) or "wecom".
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Sequence

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from shouwang.care import choices as c
from shouwang.care.models import Notification

logger = logging.getLogger("shouwang.care.reminders")

# 企业微信 group robots accept at most 2048 bytes of text content.
WECOM_MAX_BYTES = 2048


class ChannelError(Exception):
    """A message was not delivered; the notifications stay unsent."""


def mask_name(name: str) -> str:
    """王小明 → 王*明, 王明 → 王*: enough for a carer to know whom, not for a stranger."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _line(notification: Notification) -> str:
    person = notification.person
    return _("%(name)s（%(village)s）%(duty)s · %(kind)s，应于 %(due)s 前完成") % {
        "name": mask_name(person.name),
        "village": person.village.name,
        "duty": c.Duty(notification.duty).label,
        "kind": c.NotificationKind(notification.kind).label,
        "due": notification.due_on.isoformat(),
    }


def message_text(*, user, notifications: Sequence[Notification], max_bytes: int = 0) -> str:
    """One message for one user: a heading, one line per notification and where to
    read the rest. With `max_bytes`, lines that do not fit are counted, not shown.

    The notifications need `person__village` loaded (select_related)."""
    with translation.override(settings.LANGUAGE_CODE):
        head = _("【守望】%(user)s，您有 %(count)s 条新提醒：") % {
            "user": user.display_name,
            "count": len(notifications),
        }
        tail = _("请登录守望查看详情。")
        lines = [f"{number}. {_line(n)}" for number, n in enumerate(notifications, 1)]
        if not max_bytes:
            return "\n".join([head, *lines, tail])
        shown: list[str] = []
        for index, line in enumerate(lines):
            rest = _("……另有 %(count)s 条。") % {"count": len(lines) - index}
            if _size([head, *shown, line, rest, tail]) > max_bytes:
                shown.append(rest)
                break
            shown.append(line)
        return "\n".join([head, *shown, tail])


def _size(parts: list[str]) -> int:
    return len("\n".join(parts).encode("utf-8"))


class Channel:
    """Sends one user's new notifications as one message; raises on failure."""

    def send(self, *, user, notifications: Sequence[Notification]) -> None:
        raise NotImplementedError


class LogChannel(Channel):
    """The default: writes the message to the log ("shouwang.care.reminders")."""

    def send(self, *, user, notifications: Sequence[Notification]) -> None:
        logger.info(
            "reminder for user %s:\n%s",
            user.pk,
            message_text(user=user, notifications=notifications),
        )


class WeComChannel(Channel):
    """A 企业微信 group robot (群机器人) webhook: a text message per user.

    The robot answers HTTP 200 with {"errcode": 0, "errmsg": "ok"}; any other HTTP
    status, an unreadable answer or a non-zero errcode is a failure. Errors never
    quote the URL, which carries the robot's key.
    """

    def __init__(self, *, url: str | None = None, timeout: float | None = None) -> None:
        self.url = url if url is not None else settings.WECOM_WEBHOOK_URL
        self.timeout = timeout if timeout is not None else settings.WECOM_TIMEOUT_SECONDS

    def send(self, *, user, notifications: Sequence[Notification]) -> None:
        content = message_text(user=user, notifications=notifications, max_bytes=WECOM_MAX_BYTES)
        body = {"msgtype": "text", "text": {"content": content, "mentioned_mobile_list": []}}
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"WeCom robot answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ChannelError(f"WeCom robot unreachable: {reason}") from None
        try:
            answer = json.loads(raw)
        except ValueError:
            raise ChannelError("WeCom robot answered with something other than JSON") from None
        if not isinstance(answer, dict) or answer.get("errcode") != 0:
            errcode = answer.get("errcode") if isinstance(answer, dict) else None
            errmsg = answer.get("errmsg", "") if isinstance(answer, dict) else ""
            raise ChannelError(f"WeCom robot refused the message: errcode {errcode} {errmsg}")


CHANNELS: dict[str, type[Channel]] = {"log": LogChannel, "wecom": WeComChannel}


def get_channel() -> Channel:
    """The channel named by NOTIFY_CHANNEL (checked at start-up by the settings)."""
    return CHANNELS[settings.NOTIFY_CHANNEL]()
