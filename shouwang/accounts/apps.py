from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    from shouwang.accounts.services import roles_sync

    roles_sync()


class AccountsConfig(AppConfig):
    name = "shouwang.accounts"
    verbose_name = "账号"

    def ready(self):
        from auditlog.registry import auditlog

        from shouwang.accounts.models import ApiToken, User

        auditlog.register(
            User, exclude_fields=["password", "last_login", "version"], m2m_fields={"groups"}
        )
        auditlog.register(ApiToken, exclude_fields=["key_hash", "last_used_at"])
        from django.contrib.auth.signals import user_logged_in
        from django.core.exceptions import ImproperlyConfigured

        from shouwang.accounts.roles import Role

        if unknown := set(settings.TWO_FACTOR_ROLES) - set(Role.values):
            raise ImproperlyConfigured(
                f"Setting TWO_FACTOR_ROLES names unknown roles: {', '.join(sorted(unknown))}"
            )

        from shouwang.accounts.middleware import IdleTimeoutMiddleware

        user_logged_in.connect(IdleTimeoutMiddleware.on_login, dispatch_uid="shouwang.idle")
        self._connect_login_history()
        # After every migrate, so new permissions reach the roles at once.
        post_migrate.connect(_sync_roles, dispatch_uid="shouwang.accounts.roles_sync")

    @staticmethod
    def _connect_login_history():
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from shouwang.accounts import signals

        user_logged_in.connect(signals.on_logged_in, dispatch_uid="shouwang.login.ok")
        user_login_failed.connect(signals.on_login_failed, dispatch_uid="shouwang.login.failed")
        user_locked_out.connect(signals.on_locked_out, dispatch_uid="shouwang.login.locked")
        user_logged_out.connect(signals.on_logged_out, dispatch_uid="shouwang.login.out")
