from django.apps import AppConfig


class ProtectionConfig(AppConfig):
    name = "shouwang.protection"
    verbose_name = "保护与服务"

    def ready(self):
        from auditlog.registry import auditlog

        from shouwang.protection import models as m

        # Case content is need-to-know: the audit log records that it changed, never
        # what it says (reads are logged separately, with ACCESS entries).
        auditlog.register(
            m.ProtectionCase,
            exclude_fields=["version", "updated_at"],
            mask_fields=["description", "reporter_phone", "immediate_action", "closing_summary"],
            m2m_fields={"assignees", "people"},
        )
        auditlog.register(m.CaseNote, mask_fields=["text"])
        auditlog.register(m.CaseEvent, mask_fields=["note"])
        auditlog.register(m.Referral, mask_fields=["note", "answer_note"])
        auditlog.register(m.Intervention, mask_fields=["note"])
        for model in (
            m.RiskScaleAssignment,
            m.RiskGrade,
            m.Assessment,
            m.CaseEscalation,
            m.Service,
            m.Aid,
        ):
            auditlog.register(model)
        # The version is bookkeeping for optimistic locking, not what the record says.
        for model in (m.CaseDeadline, m.Station):
            auditlog.register(model, exclude_fields=["version"])
        auditlog.register(m.Activity, m2m_fields={"participants", "volunteers"})

        from shouwang.people.signals import file_closed

        file_closed.connect(_file_closed, dispatch_uid="protection.file_closed")


def _file_closed(sender, *, person_id, merged_into=None, **kwargs):
    if merged_into is not None:
        from shouwang.protection.services.merge import protection_records_merge

        protection_records_merge(person_id=person_id, merged_into=merged_into)
