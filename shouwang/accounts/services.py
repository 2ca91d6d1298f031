from __future__ import annotations

import base64
import hashlib
import ipaddress
import math
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shouwang.accounts.models import ApiToken, LoginEvent, User
from shouwang.accounts.roles import PERMISSIONS, SCOPE_LEVELS, Role, group_name
from shouwang.core.locking import lock_version
from shouwang.regions.models import Area, Level


@transaction.atomic
def roles_sync() -> None:
    """Create one group per role holding exactly the permissions in roles.PERMISSIONS."""
    wanted = {perm for perms in PERMISSIONS.values() for perm in perms}
    by_key = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
        if f"{p.content_type.app_label}.{p.codename}" in wanted
    }
    for role in Role:
        group, _created = Group.objects.get_or_create(name=group_name(role))
        group.permissions.set([by_key[key] for key in PERMISSIONS[role] if key in by_key])


def _check_scope(role: Role, scope_area: Area | None) -> None:
    if scope_area is None:
        return
    if scope_area.level not in SCOPE_LEVELS[role]:
        allowed = "、".join(str(Level(level).label) for level in SCOPE_LEVELS[role])
        raise ValidationError(
            {
                "scope_area": _("%(role)s的管辖区域只能是%(levels)s级")
                % {"role": role.label, "levels": allowed}
            }
        )


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: Role,
    scope_area: Area | None,
    full_name: str = "",
) -> User:
    """Create a login with one role and one scope area (audited by auditlog)."""
    role = Role(role)
    _check_scope(role, scope_area)
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("用户名已存在")})
    user = User(username=username, role=role, scope_area=scope_area, full_name=full_name)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set([Group.objects.get(name=group_name(role))])
    return user


# Roles the security administrator gives on the user page. A volunteer's login is
# made with its volunteer file (`shouwang users create --volunteer`), not here.
ASSIGNABLE_ROLES = tuple(role for role in Role if role != Role.VOLUNTEER)


@transaction.atomic
def user_role_assign(
    *, actor: User, user: User, role: Role, scope_area: Area | None, version: int | None
) -> User:
    """Give `user` one role and one scope area (the security administrator's work,
    三员分立; audited by auditlog, the group change included), as read at `version`.
    Nobody changes their own role, a volunteer's login keeps its role, and the
    scope lies in the actor's."""
    user = lock_version(User, pk=user.pk, version=version)
    if user.pk == actor.pk:
        raise ValidationError({"role": _("不能修改自己的角色或管辖区域")})
    if user.is_volunteer or role not in ASSIGNABLE_ROLES:
        raise ValidationError({"role": _("志愿者账号随志愿者档案管理，不能在此分配")})
    role = Role(role)
    if scope_area is None:
        raise ValidationError({"scope_area": _("请填写管辖区域")})
    if not Area.objects.visible_to(actor).filter(pk=scope_area.pk).exists():
        raise ValidationError({"scope_area": _("该区域不在您的管辖范围内")})
    _check_scope(role, scope_area)
    user.role = role
    user.scope_area = scope_area
    user.save(update_fields=["role", "scope_area", "version"])
    user.groups.set([Group.objects.get(name=group_name(role))])
    return user


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the record and the token (shown only once)."""
    raw = "sw_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=_token_hash(raw), prefix=raw[:10]
    )
    return token, raw


def api_token_user(raw: str) -> User | None:
    """The active user a token belongs to, or None."""
    token = (
        ApiToken.objects.select_related("user__scope_area")
        .filter(key_hash=_token_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    token.revoked_at = timezone.now()
    token.save()
    return token


# --- Login history -----------------------------------------------------------------


def _client_address(request) -> str | None:
    """The client's address; X-Forwarded-For only behind our own proxy (as the audit log)."""
    meta = getattr(request, "META", None) or {}
    address = meta.get("REMOTE_ADDR") or None
    if settings.TRUST_X_FORWARDED_FOR and meta.get("HTTP_X_FORWARDED_FOR"):
        address = meta["HTTP_X_FORWARDED_FOR"].split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def login_event_record(
    *, request, kind: LoginEvent.Kind, user: User | None = None, username: str = ""
) -> LoginEvent:
    """Add one step to the login history. `user` may be None for a username that
    matches nobody; the username is kept as typed (cut to its column)."""
    meta = getattr(request, "META", None) or {}
    return LoginEvent.objects.create(
        user=user,
        username=(user.username if user is not None else username)[:150],
        kind=kind,
        ip_address=_client_address(request),
        user_agent=meta.get("HTTP_USER_AGENT", "")[:255],
    )


# --- Two-factor login (django-otp) -------------------------------------------------

# A session whose user has a confirmed device but has not given a code yet.
OTP_PENDING = "_otp_pending"
BACKUP_CODE_COUNT = 10


def otp_device(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def otp_has_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def otp_backup_device(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def otp_enrolment_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled: the same secret until it is confirmed,
    so reloading the page keeps the QR code that was scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@transaction.atomic
def otp_enrolment_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device with a code from the app. On success any older devices of
    the user are removed and ten new backup codes made; they are returned, the only
    time they are shown. None when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if not device.verify_token(normalise_code(code)):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return otp_backup_codes_renew(user=user)


@transaction.atomic
def otp_backup_codes_renew(*, user: User) -> list[str]:
    """Ten new single-use backup codes; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def otp_reset(*, user: User) -> None:
    """Remove a user's second factor (a lost phone): they enrol again at next login."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def normalise_code(code: str) -> str:
    """Codes as people type them: spaces and hyphens dropped, backup codes lower case."""
    return "".join(code.split()).replace("-", "").lower()


def otp_throttled_seconds(device) -> int:
    """Seconds until `device` accepts another code after wrong ones (0: now)."""
    allowed, info = device.verify_is_allowed()
    if allowed or not info or "locked_until" not in info:
        return 0
    return max(1, math.ceil((info["locked_until"] - timezone.now()).total_seconds()))


def otp_check(*, user: User, code: str):
    """The device that accepts `code` — the app for six digits, else the backup codes
    (a used backup code is gone) — or None. Raises OtpThrottled while wrong codes
    make the device wait."""
    code = normalise_code(code)
    is_app_code = code.isdigit() and len(code) == 6
    device = otp_device(user) if is_app_code else otp_backup_device(user)
    if device is None:
        return None
    if wait := otp_throttled_seconds(device):
        raise OtpThrottled(wait)
    return verify_token(user, device.persistent_id, code)


class OtpThrottled(Exception):
    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds


def totp_secret(device: TOTPDevice) -> str:
    """The device's secret in base32, as authenticator apps take it typed in."""
    return base64.b32encode(device.bin_key).decode()
