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
        for model in (m.Pairing, m.Contact):
            auditlog.register(model)
        auditlog.register(m.ObligationRule, exclude_fields=["version"])

        from shouwang.people.signals import care_may_change, file_closed

        care_may_change.connect(_forget_due_dates, dispatch_uid="care.forget_due_dates")
        file_closed.connect(_file_closed, dispatch_uid="care.file_closed")


def _forget_due_dates(sender, *, person_ids, **kwargs):
    from shouwang.care.services.due_dates import due_dates_forget

    due_dates_forget(person_ids=person_ids)


def _file_closed(sender, *, person_id, on, merged_into, **kwargs):
    from shouwang.care.services.pairings import pairings_close

    pairings_close(person_id=person_id, on=on, merged_into=merged_into)
