from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shouwang.accounts.roles import Role
from shouwang.core.scoping import ScopedQuerySet


class UserQuerySet(ScopedQuerySet):
    """Users are scoped like records: by the code of their own scope area."""


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    """Django's create_user helpers plus visible_to."""


class User(AbstractUser):
    """A person who logs in: staff, a volunteer or a leader.

    Holds exactly one role (`role`, mirrored as membership of the role's group,
    which carries the permissions) and one scope area. Records outside the scope
    area do not exist for the user. A user without a scope sees nothing.
    """

    scope_field = "scope_area_id"

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    scope_area = models.ForeignKey(
        "regions.Area",
        verbose_name=_("管辖区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    # Set by set_password: the password expires PASSWORD_MAX_AGE_DAYS after it.
    password_changed_at = models.DateTimeField(_("密码修改时间"), default=timezone.now)
    # Optimistic locking of the role and scope (core.locking).
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        # The security administrator's (三员分立): see accounts.roles.
        permissions = [("assign_role", _("分配角色和管辖区域"))]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_volunteer(self) -> bool:
        return self.role == Role.VOLUNTEER

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    @property
    def password_expired(self) -> bool:
        """True when the password is older than PASSWORD_MAX_AGE_DAYS (0: never)."""
        days = settings.PASSWORD_MAX_AGE_DAYS
        if not days or not self.has_usable_password():
            return False
        return timezone.now() - self.password_changed_at > timedelta(days=days)

    @property
    def two_factor_required(self) -> bool:
        """Whether this user's role must log in with a second factor (TWO_FACTOR_ROLES)."""
        return settings.TWO_FACTOR_REQUIRED and self.role in settings.TWO_FACTOR_ROLES


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token itself is
    shown once when created. A revoked token never works again."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class LoginEvent(models.Model):
    """One step of a login, kept as the user's login history (登录记录): a right or
    wrong password, a lockout, a right or wrong second-factor code, an enrolment, a
    logout. Written by accounts.services.login_event_record only, never changed.
    `user` is empty when the username given matches nobody."""

    class Kind(models.TextChoices):
        PASSWORD_OK = "password_ok", _("密码登录成功")
        PASSWORD_FAILED = "password_failed", _("密码错误")
        LOCKED_OUT = "locked_out", _("账号锁定")
        OTP_OK = "otp_ok", _("两步验证通过")
        BACKUP_CODE_OK = "backup_code_ok", _("备用码验证通过")
        OTP_FAILED = "otp_failed", _("验证码错误")
        OTP_ENROLLED = "otp_enrolled", _("启用两步验证")
        PASSWORD_CHANGED = "password_changed", _("修改密码")
        LOGOUT = "logout", _("退出登录")

    FAILURES = (Kind.PASSWORD_FAILED, Kind.LOCKED_OUT, Kind.OTP_FAILED)

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="login_events"
    )
    username = models.CharField(_("用户名"), max_length=150)
    kind = models.CharField(_("事件"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("登录记录")
        verbose_name_plural = _("登录记录")
        indexes = [models.Index(fields=["user", "-at"], name="loginevent_user_at")]

    def __str__(self) -> str:
        return f"{self.username} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def succeeded(self) -> bool:
        return self.kind not in self.FAILURES
