from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
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

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_volunteer(self) -> bool:
        return self.role == Role.VOLUNTEER

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


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
