import getpass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.accounts.services import api_token_create, user_create
from shouwang.care.models import Volunteer
from shouwang.care.services.volunteers import volunteer_login_link
from shouwang.regions.models import Area
from shouwang.regions.services import full_code


class Command(BaseCommand):
    help = "User tools. `users create NAME --role ROLE --scope CODE` creates a login."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a login with one role and scope area.")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=[r.value for r in Role])
        create.add_argument("--scope", required=True, help="area code, e.g. 350724 or 350724101")
        create.add_argument("--name", default="", help="full name")
        create.add_argument("--password", help="default: ask on the terminal")
        create.add_argument(
            "--volunteer", type=int, help="with --role volunteer: the id of the approved volunteer"
        )
        token = sub.add_parser("token", help="Create an API token for a user (shown once).")
        token.add_argument("username")
        token.add_argument("--name", default="api", help="what the token is for")

    def handle(self, *args, action, **options):
        if action == "token":
            return self.token(options["username"], options["name"])
        return self.create(**options)

    def token(self, username: str, name: str) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("用户 %(user)s 不存在或已停用") % {"user": username})
        _token, raw = api_token_create(user=user, name=name)
        self.stdout.write(_("API 令牌（只显示这一次，请妥善保存）："))
        self.stdout.write(raw)

    @transaction.atomic
    def create(self, *, username, role, scope, name, password, volunteer=None, **options):
        area = Area.objects.filter(code=full_code(scope)).first()
        if area is None:
            raise CommandError(_("区划 %(code)s 不存在") % {"code": scope})
        if password is None:
            password = getpass.getpass(_("密码："))
        try:
            validate_password(password)
            user = user_create(
                username=username, password=password, role=role, scope_area=area, full_name=name
            )
            if volunteer is not None:
                record = Volunteer.objects.filter(pk=volunteer).first()
                if record is None:
                    raise ValidationError(_("志愿者 %(id)s 不存在") % {"id": volunteer})
                volunteer_login_link(user=None, volunteer=record, login=user)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("已创建 %(user)s（%(role)s，%(area)s）")
                % {"user": user.username, "role": user.get_role_display(), "area": area.name}
            )
        )
