from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "shouwang.care"
    verbose_name = "关爱网络"

    def ready(self):
        from auditlog.registry import auditlog

        from shouwang.care import models as m

        auditlog.register(
            m.Volunteer,
            exclude_fields=["phone_index", "version", "created_at", "updated_at"],
            mask_fields=["phone"],
        )
        for model in (m.Pairing, m.Contact, m.ObligationRule):
            auditlog.register(model)
