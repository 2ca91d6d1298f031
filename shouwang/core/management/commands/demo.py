import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from shouwang.core.demo import DEMO_PASSWORD, demo_load
from shouwang.people.eligibility import Program
from shouwang.regions.models import Area


class Command(BaseCommand):
    help = "Migrate, load the demo county and logins, then serve at http://127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Load only; do not serve.")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, no_serve, port, **options):
        call_command("migrate", interactive=False, verbosity=0)
        demo = demo_load()
        logins, people = demo.logins, demo.people
        codes = [login.scope_code for login in logins]
        names = dict(Area.objects.filter(code__in=codes).values_list("code", "name"))
        self.stdout.write(self.style.SUCCESS(_("演示数据已就绪：松溪县，109 个村（社区）。")))
        self.stdout.write(
            _("演示档案：%(people)s 人，%(households)s 户，家庭成员 %(relations)s 条。")
            % {key: people[key] for key in ("people", "households", "relations")}
        )
        for program in Program:
            self.stdout.write(f"  {program.label:<8} {people[program.value]:>6}")
        self.stdout.write(
            _("待确认的纳入/退出建议：%(proposals)s 条。") % {"proposals": people["proposals"]}
        )
        care = demo.care
        self.stdout.write(
            _(
                "关爱网络：志愿者 %(volunteers)s 人（代理家长 %(proxy_parent)s，爱心妈妈 "
                "%(caring_mother)s，教师 %(teacher)s），结对 %(pairings_in_force)s 对，"
                "一年走访与联系记录 %(contacts)s 条。"
            )
            % care
        )
        if demo.protection:
            self.stdout.write(
                _(
                    "保护工作：风险评估 %(assessments)s 条（一级 %(level-1)s，二级 %(level-2)s），"
                    "待复评 %(reassessment_due)s 人；保护案件 %(cases)s 件（在办 "
                    "%(cases_open)s，超时督办 %(cases_escalated)s）；关爱阵地 %(stations)s 个，"
                    "活动 %(activities)s 次；服务 %(services)s 次，慰问 %(aid)s 次。"
                )
                % ({"level-1": 0, "level-2": 0} | demo.protection)
            )
        self.stdout.write(_("演示账号（密码均为 %(password)s）：") % {"password": DEMO_PASSWORD})
        for login in logins:
            self.stdout.write(
                f"  {login.username:<12} {login.role.label:<8} {names[login.scope_code]}"
            )
        if no_serve:
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(
            _("打开 http://127.0.0.1:%(port)s/ 登录；按 Ctrl+C 停止。") % {"port": port}
        )
        worker = _start_worker()
        if worker is not None:
            self.stdout.write(_("后台任务进程已启动（每日 7:00 生成并发送提醒）。"))
        try:
            call_command("serve", host="127.0.0.1", port=port, workers=1)
        finally:
            _stop(worker)


def _start_worker() -> subprocess.Popen | None:
    """The background worker (reminders, nightly jobs) beside the web server, so the
    demo needs no second terminal. Same interpreter, environment (the demo keys)
    and working directory. Not needed when tasks run inline."""
    if settings.HUEY.get("immediate"):
        return None
    # In the same process group: Ctrl+C in the terminal reaches it too.
    return subprocess.Popen([sys.executable, "-m", "shouwang", "worker", "--workers", "1"])


def _stop(worker: subprocess.Popen | None) -> None:
    if worker is None or worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
