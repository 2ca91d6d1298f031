from django.core.management import call_command
from django.core.management.base import BaseCommand

from shouwang.core.demo import DEMO_PASSWORD, demo_load
from shouwang.regions.models import Area


class Command(BaseCommand):
    help = "Migrate, load the demo county and logins, then serve at http://127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Load only; do not serve.")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, no_serve, port, **options):
        call_command("migrate", interactive=False, verbosity=0)
        logins = demo_load()
        names = dict(Area.objects.filter(code__in=[x.scope_code for x in logins]).values_list(
            "code", "name"
        ))
        self.stdout.write(self.style.SUCCESS("演示数据已就绪 (demo data ready): 松溪县, 109 个村/社区"))
        self.stdout.write(f"演示账号 (demo logins), 密码 (password): {DEMO_PASSWORD}")
        for login in logins:
            self.stdout.write(
                f"  {login.username:<12} {login.role.label:<8} {names[login.scope_code]}"
            )
        if no_serve:
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("serve", host="127.0.0.1", port=port, workers=1)
