from django.apps import AppConfig
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

        auditlog.register(User, exclude_fields=["password", "last_login"], m2m_fields={"groups"})
        auditlog.register(ApiToken, exclude_fields=["key_hash", "last_used_at"])
        from django.contrib.auth.signals import user_logged_in

        from shouwang.accounts.middleware import IdleTimeoutMiddleware

        user_logged_in.connect(IdleTimeoutMiddleware.on_login, dispatch_uid="shouwang.idle")
        # After every migrate, so new permissions reach the roles at once.
        post_migrate.connect(_sync_roles, dispatch_uid="shouwang.accounts.roles_sync")
