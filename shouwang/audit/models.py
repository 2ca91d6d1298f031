import datetime as dt

from auditlog.context import auditlog_value
from auditlog.models import AbstractLogEntry, LogEntryManager
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from shouwang.audit.chain import seal_of
from shouwang.core.scoping import code_range, scope_prefix


def area_of(instance: models.Model) -> str:
    """The 12-digit area of a record, by its model's scoping field
    (`scope_field`, e.g. "person__village_id"); "" for records without one."""
    path = getattr(type(instance), "scope_field", None)
    if path is None:
        return ""
    value = instance
    try:
        for part in path.split("__"):
            value = getattr(value, part)
            if value is None:
                return ""
    except ObjectDoesNotExist:
        return ""
    return str(value)


def actor_area(actor) -> str:
    return getattr(actor, "scope_area_id", None) or ""


class AuditEntryQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AuditEntryQuerySet":
        """Audit entries are read only by holders of the audit permission (审计管理员),
        within their scope: entries about records in their area, and those of
        actions without an area (`area_code` empty: the system's own, or a user
        without a scope)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if not user.has_perm("audit.view_auditentry"):
            return self.none()
        prefix = scope_prefix(user)
        if prefix is None:
            return self.none()
        low, high = code_range(prefix)
        return self.filter(
            models.Q(area_code__gte=low, area_code__lte=high) | models.Q(area_code="")
        )

    # Entries are only ever added (shouwang.audit.chain).
    def update(self, **kwargs):
        raise PermissionDenied("audit entries cannot be changed")

    def delete(self):
        raise PermissionDenied("audit entries cannot be deleted")


class AuditEntryManager(LogEntryManager.from_queryset(AuditEntryQuerySet)):
    """auditlog's receivers need LogEntryManager.log_create; we add visible_to, and
    the area of the record each entry is about."""

    def log_create(self, instance, force_log: bool = False, **kwargs):
        area = area_of(instance)
        kwargs.setdefault("area_code", area)
        entry = super().log_create(instance, force_log, **kwargs)
        if entry is not None:
            areas_changed(changed_areas(entry, area, month_of(instance)))
        return entry


class AuditEntry(AbstractLogEntry):
    """One audit record: who did what to which record, when and from where.

    django-auditlog writes it for every create, update and delete of a registered
    model and for reads of sensitive data (action ACCESS); bulk writes add rows
    through `audit.services.audit_bulk`. Entries are only ever added, and sealed
    (`mac` when written, `seq` and `chain` in order shortly after:
    shouwang.audit.chain). `area_code` is the area of the record, else of the
    actor's scope, for scoping the log itself.
    """

    area_code = models.CharField(max_length=12, blank=True, default="")
    mac = models.CharField(max_length=64, blank=True, default="")
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    chain = models.CharField(max_length=64, blank=True, default="")

    objects = AuditEntryManager()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied("audit entries cannot be changed")
        self._take_request_context()
        if not self.area_code and self.actor_id:
            self.area_code = actor_area(self.actor)
        self.mac = seal_of(self)
        super().save(*args, **kwargs)

    def _take_request_context(self) -> None:
        """Set now what auditlog's pre_save receiver would set (the actor, the
        address), so that the seal covers it; the receiver then changes nothing."""
        try:
            context = auditlog_value.get()
        except LookupError:
            return
        actor = context.get("actor")
        if self.actor_id is None and isinstance(actor, get_user_model()):
            self.actor, self.actor_email = actor, getattr(actor, "email", None)
        for key, value in context.items():
            if key != "actor" and hasattr(type(self), key):
                setattr(self, key, value() if callable(value) else value)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("audit entries cannot be deleted")

    class Meta(AbstractLogEntry.Meta):
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [
            models.Index(fields=["timestamp"], name="audit_timestamp_idx"),
            models.Index(fields=["content_type", "object_pk"], name="audit_object_idx"),
            models.Index(fields=["area_code", "timestamp"], name="audit_area_idx"),
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


# --- which areas changed ------------------------------------------------------------

# The apps whose records the figures are counted from (the registry, the care
# network, protection work): a write to one of their records changes its area's
# figures. Reads (ACCESS) change nothing.
FIGURE_APPS = frozenset({"people", "care", "protection"})

# (area, month or None: every month, model label "app.model")
Changed = set[tuple[str, "dt.date | None", str]]


def month_of(instance: models.Model) -> dt.date | None:
    """The month a change to `instance` concerns (its first day), for records whose
    model names one (`figures_month_field`, e.g. a contact's date); None: all."""
    field = getattr(type(instance), "figures_month_field", None)
    day = getattr(instance, field, None) if field else None
    return day.replace(day=1) if isinstance(day, dt.date) else None


def changed_areas(entry: AuditEntry, record_area: str, month: dt.date | None = None) -> Changed:
    """The areas whose figures the write `entry` records may have changed, with the
    month it concerns (None: every month) and the record's model: the record's
    area ("" for a record without one, such as a default rule: every area), and
    the village a person moved from."""
    if entry.action == AuditEntry.Action.ACCESS or not entry.content_type_id:
        return set()
    content_type = ContentType.objects.get_for_id(entry.content_type_id)
    if content_type.app_label not in FIGURE_APPS:
        return set()
    areas = {record_area}
    moved = (entry.changes or {}).get("village") if isinstance(entry.changes, dict) else None
    if isinstance(moved, list | tuple):
        areas |= {str(code) for code in moved if code and str(code).isdigit()}
    model = f"{content_type.app_label}.{content_type.model}"
    if model == "people.person" and entry.action == AuditEntry.Action.UPDATE:
        fields = set(entry.changes or {}) if isinstance(entry.changes, dict) else {""}
        if not fields & PERSON_PLACE:
            model = PERSON_FIELDS  # an edit of the file's fields only
    return {(area, month, model) for area in areas}


# A person's status and village decide who is counted where; an edit of any other
# field of the file is recorded as PERSON_FIELDS, which the rates and aid do not read.
PERSON_PLACE = frozenset({"status", "village", "merged_into"})
PERSON_FIELDS = "people.person.fields"


class AreaChange(models.Model):
    """That the records of an area changed (`area`: a 12-digit code, or "" for a
    change that concerns every area), in one month (`month`, its first day: a
    contact) or in all (NULL), and of which model (`model`, "people.person"), as
    the audit log saw it: every entry about a write to a record the figures count
    (`FIGURE_APPS`) adds a row. Only ever added; the ids only grow, so the largest
    id at, under or above an area says whether anything changed since it was last
    read (`dashboard.summaries`). `changes_compact` deletes all but the last row of
    each area, month and model."""

    id = models.BigAutoField(primary_key=True)
    area = models.CharField(max_length=12)
    month = models.DateField(null=True)
    model = models.CharField(max_length=60)

    class Meta:
        indexes = [models.Index(fields=["area", "id"], name="area_change_area")]

    def __str__(self) -> str:
        return f"{self.area or '*'} {self.month or ''} #{self.id}"


def areas_changed(changed: Changed) -> None:
    """Record that the (area, month, model) of `changed` changed: now (readers in
    this transaction see it) and again once the transaction commits — a reader
    that counted while the write was not yet visible then finds a larger id than
    it read, and counts again. Plain inserts: writers never wait on each other."""
    if not changed:
        return
    ordered = sorted(changed, key=lambda c: (c[0], c[1] or dt.date.min, c[2]))

    def record():
        AreaChange.objects.bulk_create(
            [AreaChange(area=a, month=m, model=model) for a, m, model in ordered]
        )

    record()
    transaction.on_commit(record)


def changes_compact() -> int:
    """Delete every row but the last of each area, month and model (the largest ids
    stay, so no reader's answer changes); returns how many were deleted."""
    last = AreaChange.objects.values("area", "month", "model").annotate(last=models.Max("id"))
    return AreaChange.objects.exclude(id__in=models.Subquery(last.values("last"))).delete()[0]
