"""The daily reminders: due soon, overdue, escalation to the village worker and the
township supervisor at the rule's thresholds, idempotence, retries after a failed
send, the 企业微信 robot channel against a local fake, the scheduled task, and the
notifications page.

王小明 lives in the first village of 郑墩镇; 刘晓燕 (the `volunteer` login) is his
代理家长. The county's own rule asks for a home visit every month, told to the
village after 3 days overdue and to the township after 14. His last visit was
on 5 October 2026, so November's visit falls due on 30 November.
"""

import datetime as dt
import io
import json
import logging
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from shouwang.care.channels import Channel, ChannelError, LogChannel, WeComChannel, get_channel
from shouwang.care.choices import CarerKind, ContactKind, Duty, NotificationKind, Period
from shouwang.care.models import Notification, ObligationRule
from shouwang.care.services.reminders import reminders_run
from shouwang.care.tasks import reminders_daily, reminders_now
from shouwang.care.tests.factories import contact, enroll, make_person, make_volunteer, pair
from shouwang.conftest import COUNTY, VILLAGE
from shouwang.core.management.commands.demo import _start_worker, _stop
from shouwang.people.eligibility import Program

D = dt.date
BEIJING = ZoneInfo("Asia/Shanghai")
DUE_ON = D(2026, 11, 30)


class Recorder(Channel):
    """A channel that keeps what it was given, or fails while `down`."""

    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.messages: list[tuple[str, list[str]]] = []

    def send(self, *, user, notifications) -> None:
        if self.down:
            raise ChannelError("robot unreachable")
        self.messages.append((user.username, [n.text for n in notifications]))


@pytest.fixture
def rule(demo_areas):
    """The county's own rule: with it, the county uses no default rule."""
    return ObligationRule.objects.create(
        county_id=COUNTY, program=Program.LEFT_BEHIND_CHILD, pairing_kind=CarerKind.PROXY_PARENT,
        duty=Duty.HOME_VISIT, period=Period.MONTH,
        escalate_village_days=3, escalate_township_days=14,
    )  # fmt: skip


@pytest.fixture
def carer(volunteer):
    return make_volunteer("刘晓燕", VILLAGE, user=volunteer, capacity=10)


@pytest.fixture
def xiaoming(rule, carer):
    person = make_person("王小明", VILLAGE)
    pair(person, carer)
    contact(person, ContactKind.HOME_VISIT, D(2026, 10, 5), volunteer=carer)
    return person


def run(today, channel=None):
    return reminders_run(today=today, channel=channel or Recorder())


def notified(user):
    return list(
        Notification.objects.filter(user=user).order_by("id").values_list("kind", "level", "text")
    )


# --- who hears of what, and when --------------------------------------------------------


def test_the_carer_is_reminded_two_days_before_the_visit_falls_due(xiaoming, volunteer):
    run(D(2026, 11, 27))
    assert notified(volunteer) == []

    run(D(2026, 11, 28))

    [(kind, level, text)] = notified(volunteer)
    assert (kind, level) == (NotificationKind.DUE, 0)
    assert text == "王小明（上厝村）入户走访应于 2026-11-30 前完成，即将到期"


def test_an_overdue_visit_is_told_to_the_carer_the_day_after(xiaoming, volunteer, village_worker):
    run(D(2026, 12, 1))

    [(kind, level, text)] = notified(volunteer)
    assert (kind, level) == (NotificationKind.OVERDUE, 0)
    assert text == "王小明（上厝村）入户走访已逾期 1 天，应于 2026-11-30 前完成"
    assert notified(village_worker) == []


def test_it_escalates_to_the_village_worker_exactly_at_the_rules_threshold(
    xiaoming, village_worker, neighbour, supervisor
):
    run(D(2026, 12, 2))  # 2 days overdue: not yet
    assert notified(village_worker) == []

    run(D(2026, 12, 3))  # 3 days overdue

    [(kind, level, text)] = notified(village_worker)
    assert (kind, level) == (NotificationKind.ESCALATED, 1)
    assert text == (
        "【村级提醒】王小明（上厝村）入户走访已逾期 3 天，应于 2026-11-30 前完成（结对人：刘晓燕）"
    )
    assert notified(neighbour) == []  # the next village's worker hears nothing
    assert notified(supervisor) == []


def test_it_escalates_to_the_township_supervisor_exactly_at_the_rules_threshold(
    xiaoming, village_worker, supervisor, outsider, county_admin
):
    run(D(2026, 12, 13))  # 13 days overdue: not yet
    assert notified(supervisor) == []

    run(D(2026, 12, 14))

    [(kind, level, text)] = notified(supervisor)
    assert (kind, level) == (NotificationKind.ESCALATED, 2)
    assert "已逾期 14 天" in text
    assert len(notified(village_worker)) == 1  # told once, on the 3rd
    assert notified(outsider) == []  # the next township's supervisor hears nothing
    assert notified(county_admin) == []


def test_a_late_first_run_tells_everyone_at_once(xiaoming, volunteer, village_worker, supervisor):
    run(D(2026, 12, 20))

    assert [n[:2] for n in notified(volunteer)] == [(NotificationKind.OVERDUE, 0)]
    assert [n[:2] for n in notified(village_worker)] == [(NotificationKind.ESCALATED, 1)]
    assert [n[:2] for n in notified(supervisor)] == [(NotificationKind.ESCALATED, 2)]


def test_thresholds_come_from_the_rule(xiaoming, rule, village_worker):
    rule.escalate_village_days = 10
    rule.save()

    run(D(2026, 12, 9))
    assert notified(village_worker) == []
    run(D(2026, 12, 10))
    assert len(notified(village_worker)) == 1


def test_a_visit_made_in_time_stops_the_reminders(xiaoming, carer, volunteer):
    contact(xiaoming, ContactKind.HOME_VISIT, D(2026, 11, 20), volunteer=carer)

    run(D(2026, 11, 28))
    run(D(2026, 12, 3))

    assert notified(volunteer) == []


def test_an_exited_person_gets_no_reminders(rule, carer, volunteer, village_worker, supervisor):
    person = make_person("李小红", VILLAGE, program=None)
    enroll(person, Program.LEFT_BEHIND_CHILD, D(2024, 1, 1), ended_on=D(2026, 11, 15))
    pair(person, carer)

    counts = run(D(2026, 12, 20))

    assert counts["created"] == 0
    assert not Notification.objects.filter(person=person).exists()


def test_a_carer_without_a_login_is_not_reminded_but_the_village_still_hears(rule, village_worker):
    person = make_person("陈小龙", VILLAGE)
    pair(person, make_volunteer("赵阿姨", VILLAGE))  # no login

    run(D(2026, 12, 3))

    assert list(Notification.objects.values_list("user__username", "level")) == [("village", 1)]


def test_a_deactivated_village_worker_is_not_told(xiaoming, village_worker):
    village_worker.is_active = False
    village_worker.save()

    run(D(2026, 12, 3))

    assert notified(village_worker) == []


# --- idempotence and retries -----------------------------------------------------------


def test_running_twice_creates_and_sends_nothing_twice(
    xiaoming, volunteer, village_worker, supervisor
):
    channel = Recorder()
    first = run(D(2026, 12, 14), channel)
    second = run(D(2026, 12, 14), channel)

    assert first["created"] == 3 and first["sent"] == 3 and first["messages"] == 3
    assert second["created"] == 0 and second["sent"] == 0 and second["messages"] == 0
    assert sorted(user for user, _texts in channel.messages) == [
        "supervisor",
        "village",
        "volunteer",
    ]
    assert Notification.objects.count() == 3


def test_the_next_day_sends_only_what_is_new(xiaoming, volunteer, village_worker):
    channel = Recorder()
    run(D(2026, 12, 2), channel)  # the carer hears it is overdue
    run(D(2026, 12, 3), channel)  # only the village worker hears anything new

    assert [user for user, _texts in channel.messages] == ["volunteer", "village"]


def test_one_message_per_user_per_run(rule, carer, volunteer):
    for name in ("王小明", "王小红", "王小刚"):
        pair(make_person(name, VILLAGE), carer)
    channel = Recorder()

    run(D(2026, 11, 28), channel)

    [(user, texts)] = channel.messages
    assert user == "volunteer"
    assert len(texts) == 3


def test_a_failed_send_is_retried_on_the_next_run(xiaoming, volunteer, caplog):
    down = Recorder(down=True)
    with caplog.at_level(logging.ERROR, logger="shouwang.care.reminders"):
        counts = run(D(2026, 12, 1), down)

    assert counts == counts | {"created": 1, "sent": 0, "failed": 1}
    assert Notification.objects.get().sent_at is None
    assert "retried on the next run" in caplog.text

    up = Recorder()
    counts = run(D(2026, 12, 2), up)

    assert counts == counts | {"created": 0, "sent": 1, "failed": 0}
    assert len(up.messages) == 1
    assert Notification.objects.get().sent_at is not None


def test_one_failing_user_does_not_stop_the_others(xiaoming, volunteer, village_worker):
    class FailsForTheVolunteer(Recorder):
        def send(self, *, user, notifications):
            if user.username == "volunteer":
                raise RuntimeError("boom")
            super().send(user=user, notifications=notifications)

    channel = FailsForTheVolunteer()
    counts = run(D(2026, 12, 3), channel)

    assert counts["failed"] == 1 and counts["messages"] == 1
    assert [user for user, _texts in channel.messages] == ["village"]


def test_keys_fit_the_column(xiaoming, volunteer, village_worker, supervisor):
    run(D(2026, 12, 14))

    assert all(len(key) <= 120 for key in Notification.objects.values_list("key", flat=True))


def test_the_run_takes_as_many_queries_for_five_children_as_for_one(rule, carer, volunteer):
    pair(make_person("王小明", VILLAGE), carer)
    with CaptureQueriesContext(connection) as one:
        run(D(2026, 11, 28))
    Notification.objects.all().delete()
    for name in ("李一", "李二", "李三", "李四"):
        pair(make_person(name, VILLAGE), carer)
    with CaptureQueriesContext(connection) as five:
        counts = run(D(2026, 11, 28))

    assert counts["created"] == 5
    assert len(five.captured_queries) == len(one.captured_queries)


# --- channels ---------------------------------------------------------------------------


def test_the_log_channel_writes_a_masked_message(xiaoming, volunteer, caplog):
    with caplog.at_level(logging.INFO, logger="shouwang.care.reminders"):
        run(D(2026, 12, 1), LogChannel())

    assert "王*明（上厝村）入户走访 · 已逾期，应于 2026-11-30 前完成" in caplog.text
    assert "王小明" not in caplog.text
    assert Notification.objects.get().sent_at is not None


def test_the_channel_comes_from_the_settings(settings):
    assert isinstance(get_channel(), LogChannel)
    settings.NOTIFY_CHANNEL = "wecom"
    settings.WECOM_WEBHOOK_URL = "http://127.0.0.1:9/robot"
    assert isinstance(get_channel(), WeComChannel)


class FakeRobot:
    """A 企业微信 group robot on 127.0.0.1: records each POST and answers `reply`."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.paths: list[str] = []
        self.reply = (200, {"errcode": 0, "errmsg": "ok"})
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                robot.received.append(json.loads(self.rfile.read(length).decode("utf-8")))
                robot.paths.append(self.path)
                status, answer = robot.reply
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webhook/send?key=test-key"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot():
    with FakeRobot() as fake:
        yield fake


def test_the_wecom_channel_posts_a_text_message_to_the_robot(xiaoming, volunteer, robot):
    counts = run(D(2026, 12, 1), WeComChannel(url=robot.url, timeout=5))

    assert counts["sent"] == 1
    [body] = robot.received
    assert robot.paths == ["/cgi-bin/webhook/send?key=test-key"]
    assert body["msgtype"] == "text"
    assert body["text"]["mentioned_mobile_list"] == []
    content = body["text"]["content"]
    assert content.startswith("【守望】刘晓燕，您有 1 条新提醒：")
    assert "王*明（上厝村）入户走访 · 已逾期，应于 2026-11-30 前完成" in content
    assert "王小明" not in content  # names leave the platform masked


@pytest.mark.parametrize(
    "reply",
    [(200, {"errcode": 93000, "errmsg": "invalid webhook url"}), (500, {"error": "oops"})],
    ids=["errcode", "http-500"],
)
def test_a_refusal_by_the_robot_is_a_failure_and_retried(xiaoming, volunteer, robot, reply):
    robot.reply = reply
    channel = WeComChannel(url=robot.url, timeout=5)

    counts = run(D(2026, 12, 1), channel)

    assert counts["failed"] == 1 and counts["sent"] == 0
    assert Notification.objects.get().sent_at is None

    robot.reply = (200, {"errcode": 0, "errmsg": "ok"})
    counts = run(D(2026, 12, 2), channel)

    assert counts["sent"] == 1
    assert len(robot.received) == 2


def test_an_unreachable_robot_raises_a_channel_error_without_the_key(volunteer, robot):
    url = robot.url
    robot.__exit__()  # nobody listens there any more
    with pytest.raises(ChannelError) as error:
        WeComChannel(url=url, timeout=2).send(user=volunteer, notifications=[])

    assert "test-key" not in str(error.value)


def test_a_long_message_fits_the_robots_limit(rule, carer, volunteer, robot):
    carer.capacity = 30
    carer.save()
    for number in range(30):
        pair(make_person(f"欧阳小{chr(0x4E00 + number)}{chr(0x4E00 + number)}", VILLAGE), carer)

    run(D(2026, 11, 28), WeComChannel(url=robot.url, timeout=5))

    [body] = robot.received
    content = body["text"]["content"]
    assert len(content.encode("utf-8")) <= 2048
    assert "条新提醒" in content and "……另有" in content


def test_the_wecom_channel_without_a_url_stops_start_up(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"WECOM_WEBHOOK_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {
        "NOTIFY_CHANNEL": "wecom",
        "SECRET_KEY": "x",
        "FIELD_ENCRYPTION_KEYS": "dGVzdC1vbmx5LWZpZWxkLWtleS0wMDAwMDAwMDAwMDA=",
        "BLIND_INDEX_KEY": "x",
        "SHOUWANG_VAR_DIR": str(tmp_path),
        "TASK_QUEUE_URL": "immediate",
    }
    result = subprocess.run(
        [sys.executable, "-m", "shouwang", "check"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert result.returncode == 2
    assert "WECOM_WEBHOOK_URL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- the scheduled job --------------------------------------------------------------


def test_the_reminder_job_runs_at_seven_beijing_time():
    [task_class] = [t for t in HUEY._registry._periodic_tasks
                    if t.__name__ == "reminders_daily"]  # fmt: skip
    task = task_class()

    # huey passes naive UTC times; 23:00 UTC is 07:00 the next day in Asia/Shanghai.
    def utc(hour, minute):
        return dt.datetime(2026, 11, 22, hour, minute, tzinfo=dt.UTC).replace(tzinfo=None)

    assert task.validate_datetime(utc(23, 0))
    assert not task.validate_datetime(utc(7, 0))
    assert not task.validate_datetime(utc(23, 1))


def test_the_job_reminds_as_of_today_in_beijing(xiaoming, volunteer, caplog):
    # 23:30 UTC on 27 November is 07:30 on the 28th in Beijing: two days ahead.
    with time_machine.travel(dt.datetime(2026, 11, 28, 7, 30, tzinfo=BEIJING), tick=False):
        counts = reminders_daily.call_local()

    assert counts["created"] == 1
    assert notified(volunteer)[0][:2] == (NotificationKind.DUE, 0)


def test_the_run_can_be_enqueued_through_the_django_tasks_api(xiaoming, volunteer):
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=BEIJING), tick=False):
        result = reminders_now.enqueue()  # huey runs it inline in the tests

    assert result.return_value["created"] == 1
    assert result.return_value["sent"] == 1


def test_the_command_runs_as_of_a_given_day_and_is_safe_to_repeat(xiaoming, volunteer):
    out = io.StringIO()
    call_command("reminders", "--date", "2026-12-01", stdout=out)
    call_command("reminders", "--date", "2026-12-01", stdout=out)

    first, second = out.getvalue().splitlines()
    assert "created=1" in first and "sent=1" in first
    assert "created=0" in second and "sent=0" in second


def test_the_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="2026-13-01"):
        call_command("reminders", "--date", "2026-13-01")


# --- the notifications page ---------------------------------------------------------------


@pytest.fixture
def told(xiaoming, volunteer, village_worker, supervisor):
    run(D(2026, 12, 14))


def test_the_page_shows_only_the_users_own_notifications(told, login, volunteer):
    body = login(volunteer).get(reverse("care:notifications")).content.decode()

    assert "王小明（上厝村）入户走访已逾期 14 天" in body
    assert "结对人" not in body  # the village's and township's copies are not hers
    assert "未读" in body


def test_an_outsider_sees_no_notifications(told, login, outsider):
    body = login(outsider).get(reverse("care:notifications")).content.decode()

    assert "王小明" not in body
    assert "暂无提醒" in body


def test_the_header_shows_the_unread_count(told, login, volunteer):
    client = login(volunteer)
    body = client.get(reverse("core:home")).content.decode()

    assert reverse("care:notifications") in body
    assert "<b>1</b>" in body


def test_marking_read_clears_only_the_users_own(told, login, volunteer, village_worker):
    client = login(volunteer)

    response = client.post(reverse("care:notifications_read"))

    assert response.status_code == 302
    assert response["Location"] == reverse("care:notifications")
    assert not Notification.objects.filter(user=volunteer, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=village_worker, read_at__isnull=True).exists()
    body = client.get(reverse("care:notifications")).content.decode()
    assert "<b>1</b>" not in body
    assert "已将 1 条提醒标为已读" in body


def test_marking_read_needs_a_post(told, login, volunteer):
    assert login(volunteer).get(reverse("care:notifications_read")).status_code == 405


def test_the_page_needs_a_login(client):
    response = client.get(reverse("care:notifications"))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_bad_page_number_is_not_an_error(told, login, volunteer):
    assert login(volunteer).get(reverse("care:notifications"), {"page": "x"}).status_code == 200


# --- the demo runs the worker ---------------------------------------------------------


def test_the_demo_starts_no_worker_when_tasks_run_inline():
    assert _start_worker() is None  # the tests' queue is "immediate"


def test_the_demo_worker_starts_and_stops(settings, monkeypatch, tmp_path):
    settings.HUEY = settings.HUEY | {"immediate": False}
    monkeypatch.setenv("TASK_QUEUE_URL", f"sqlite:///{tmp_path / 'tasks.sqlite3'}")
    monkeypatch.setenv("SHOUWANG_VAR_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    worker = _start_worker()
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            worker.wait(timeout=3)  # still running: it did not fail on start-up
    finally:
        _stop(worker)

    assert worker.returncode is not None
