from auditlog.models import AbstractLogEntry, LogEntryManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntryQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AuditEntryQuerySet":
        """Audit entries are read only by holders of the audit permission (审计管理员).

        Entries carry no area of their own, so the scope is the permission alone.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if not user.has_perm("audit.view_auditentry"):
            return self.none()
        return self.all()


class AuditEntryManager(LogEntryManager.from_queryset(AuditEntryQuerySet)):
    """auditlog's receivers need LogEntryManager.log_create; we add visible_to."""


class AuditEntry(AbstractLogEntry):
    """One audit record: who did what to which record, when and from where.

    django-auditlog writes it for every create, update and delete of a registered
    model and for reads of sensitive data (action ACCESS); bulk writes add rows
    through `audit.services.audit_bulk`. Entries are only ever added.
    """

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [
            models.Index(fields=["timestamp"], name="audit_timestamp_idx"),
            models.Index(fields=["content_type", "object_pk"], name="audit_object_idx"),
        ]

    @property
    def change_rows(self) -> list[tuple[str, str, str]]:
        """(field label, before, after) for display, without touching the database.

        auditlog stores plain fields as [old, new] and many-to-many changes as
        {"type": "m2m", "operation": "add", "objects": [...]}.
        """
        model = self.content_type.model_class() if self.content_type_id else None
        rows = []
        for name, value in (self.changes or {}).items():
            label = name
            if model is not None:
                try:
                    label = str(model._meta.get_field(name).verbose_name)
                except Exception:  # a field since removed from the model
                    label = name
            if isinstance(value, dict):
                objects = "、".join(str(o) for o in value.get("objects", []))
                before, after = ("", objects) if value.get("operation") == "add" else (objects, "")
            else:
                before, after = (str(v) if v not in (None, "None") else "" for v in value)
            rows.append((label, before, after))
        return rows
