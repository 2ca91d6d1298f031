"""The care network: volunteers and their review, pairings (结对), contacts
(走访与联系记录), the visiting rules (走访频次) and the reminders they produce."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shouwang.care import choices as c
from shouwang.core.crypto import EncryptedTextField
from shouwang.core.scoping import ScopedQuerySet
from shouwang.people.choices import RiskLevel
from shouwang.people.eligibility import Program

_USER = settings.AUTH_USER_MODEL


class Volunteer(models.Model):
    """Someone who looks after left-behind people: a 代理家长, a teacher, a cadre …

    Invariants: `phone` is encrypted and `phone_index` is its blind index; only an
    APPROVED volunteer can be paired; approval records the reviewer, the time, the
    record check and no 第二十二条 disqualification. `user` is their login, if any
    (role 志愿者), through which they see only the people paired with them.
    """

    scope_field = "area_id"

    name = models.CharField(_("姓名"), max_length=50)
    kind = models.CharField(_("类别"), max_length=20, choices=c.CarerKind.choices)
    organisation = models.CharField(_("所属组织"), max_length=24, choices=c.Organisation.choices)
    organisation_name = models.CharField(_("单位名称"), max_length=100, blank=True)
    area = models.ForeignKey(
        "regions.Area", verbose_name=_("所在地区"), on_delete=models.PROTECT,
        limit_choices_to={"level__in": (4, 5)}, related_name="+",
    )  # fmt: skip
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    capacity = models.PositiveSmallIntegerField(
        _("可结对人数"), default=3, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    status = models.CharField(
        _("审查状态"), max_length=12, choices=c.VolunteerStatus.choices,
        default=c.VolunteerStatus.APPLIED,
    )  # fmt: skip
    record_checked = models.BooleanField(_("已查询违法犯罪记录"), default=False)
    disqualifications = models.JSONField(_("第二十二条情形"), default=list, blank=True)
    reviewed_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("审查人"),
    )  # fmt: skip
    reviewed_at = models.DateTimeField(_("审查时间"), null=True, blank=True)
    review_reason = models.CharField(_("审查意见"), max_length=200, blank=True)
    user = models.OneToOneField(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="volunteer",
        verbose_name=_("登录账号"),
    )  # fmt: skip
    notes = models.CharField(_("备注"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        permissions = [("review_volunteer", _("审查志愿者"))]
        indexes = [models.Index(fields=["area", "status", "kind"], name="volunteer_area_status")]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"

    @staticmethod
    def visible_to_volunteer(queryset, user):
        return queryset.filter(user=user)

    @property
    def disqualification_labels(self) -> list[str]:
        labels = dict(c.Disqualification.choices)
        return [str(labels.get(code, code)) for code in self.disqualifications]


def in_force(on: dt.date) -> Q:
    """Rows with `started_on` / `ended_on` (enrollments, pairings) in force on `on`:
    started, and not yet ended that day. The one definition of "in force"."""
    return Q(started_on__lte=on) & (Q(ended_on__isnull=True) | Q(ended_on__gt=on))


class PairingQuerySet(ScopedQuerySet):
    def active(self, on: dt.date | None = None) -> PairingQuerySet:
        """Pairings in force on `on` (today)."""
        return self.filter(in_force(on or timezone.localdate()))


class Pairing(models.Model):
    """A volunteer looking after a person (结对) from `started_on`; `ended_on` is
    the first day they no longer do. Ended pairings stay as history.

    One volunteer may look after many people and one person may have many
    volunteers; a volunteer never holds more open pairings than their capacity,
    and a person has at most one open pairing with the same volunteer.
    """

    scope_field = "person__village_id"

    person = models.ForeignKey(
        "people.Person", verbose_name=_("结对对象"), on_delete=models.CASCADE,
        related_name="pairings",
    )  # fmt: skip
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="pairings"
    )
    kind = models.CharField(_("结对类别"), max_length=20, choices=c.CarerKind.choices)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    end_reason = models.CharField(
        _("结束原因"), max_length=20, choices=c.PairingEndReason.choices, blank=True
    )
    end_note = models.CharField(_("结束说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PairingQuerySet.as_manager()

    class Meta:
        verbose_name = _("结对")
        verbose_name_plural = _("结对")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "volunteer"],
                condition=Q(ended_on__isnull=True),
                name="one_open_pairing_per_volunteer_and_person",
            )
        ]
        indexes = [
            models.Index(fields=["volunteer", "ended_on"], name="pairing_volunteer_open"),
            models.Index(fields=["person", "ended_on"], name="pairing_person_open"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer.name} → {self.person.name}"

    @staticmethod
    def visible_to_volunteer(queryset, user):
        return queryset.filter(volunteer__user=user)

    def is_active_on(self, day: dt.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or self.ended_on > day)


class Contact(models.Model):
    """One visit, call or other contact with a person (走访与联系记录).

    `volunteer` is who made it when it was a volunteer (else the staff member who
    recorded it made it); `pairing_kind` is the kind of that volunteer's pairing
    with the person on the day, which decides whose duty the contact fulfils.
    `parent` names the parent working away in a 亲情通话. A contact is never in
    the future nor before the person was on file. `client_key` makes logging
    idempotent: the same key from the same user logs once.
    """

    scope_field = "person__village_id"
    # A contact changes the figures of its own month only (audit.AreaChange.month).
    figures_month_field = "date"

    person = models.ForeignKey(
        "people.Person", verbose_name=_("对象"), on_delete=models.CASCADE, related_name="contacts"
    )
    kind = models.CharField(_("方式"), max_length=20, choices=c.ContactKind.choices)
    date = models.DateField(_("日期"))
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="contacts",
    )  # fmt: skip
    pairing_kind = models.CharField(max_length=20, choices=c.CarerKind.choices, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("时长（分钟）"), null=True, blank=True, validators=[MaxValueValidator(24 * 60)]
    )
    notes = models.TextField(_("情况记录"), blank=True)
    parent = models.ForeignKey(
        "people.Relation", verbose_name=_("通话的父母"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    concern = models.BooleanField(_("需要关注"), default=False)
    concern_resolved_at = models.DateTimeField(null=True, blank=True)
    concern_resolved_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        _USER, verbose_name=_("记录人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_key = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("联系记录")
        verbose_name_plural = _("联系记录")
        permissions = [("resolve_concern", _("处理关注事项"))]
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recorded_by", "client_key"], name="contact_client_key_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["person", "kind", "pairing_kind", "date"], name="contact_person_kind_date"
            ),
            models.Index(fields=["date", "kind", "person"], name="contact_date_kind_person"),
            models.Index(
                fields=["concern", "concern_resolved_at"],
                condition=Q(concern=True),
                name="contact_open_concern",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} · {self.get_kind_display()} · {self.date}"

    @staticmethod
    def visible_to_volunteer(queryset, user):
        return queryset.filter(volunteer__user=user)

    @property
    def who(self) -> str:
        if self.volunteer_id:
            return self.volunteer.name
        return self.recorded_by.display_name if self.recorded_by_id else ""


class LastContact(models.Model):
    """The date of the latest contact of each kind with a person, per pairing kind:
    the one aggregate obligations need, kept so they need not read every contact
    ever logged. Maintained by `contact_log`; bulk loaders call
    `contact_indexes_rebuild`. Must always equal MAX(date) over the person's contacts
    of that kind and pairing kind (a test recounts it)."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=c.ContactKind.choices)
    pairing_kind = models.CharField(max_length=20, blank=True)
    date = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "pairing_kind"], name="last_contact_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.pairing_kind} {self.date}"


class ContactMonth(models.Model):
    """Which kinds of contact a person had in a month (`kinds`: bits of
    `choices.KIND_BITS`; `month`: its first day) — the facts the monthly rates
    count, kept so they need not search the month's contacts once per fact.
    Maintained by `contact_log`; bulk loaders call `contact_indexes_rebuild`. Must
    always equal the kinds of the person's contacts that month (a test recounts)."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="contact_months"
    )
    month = models.DateField()
    kinds = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "month"], name="contact_month_once")
        ]
        indexes = [models.Index(fields=["month", "person"], name="contact_month_month")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.month} {self.kinds:b}"


class PersonDue(models.Model):
    """The earliest date by which anything is owed to a person (NULL: nothing is),
    as worked out by the last refresh — an index for the overdue lists.

    The lists derive in full only the people whose earliest due date has passed or
    who have no row; every write that can make someone owed more, or sooner
    (enrollments, pairings, the file, rules), deletes their rows, and the nightly
    refresh (`due_dates_refresh`, just after midnight) writes every row again.
    Contacts only move due dates later, so they need not touch it."""

    person = models.OneToOneField(
        "people.Person", on_delete=models.CASCADE, primary_key=True, related_name="care_due"
    )
    village = models.CharField(max_length=12)
    due_on = models.DateField(null=True)

    class Meta:
        indexes = [models.Index(fields=["village", "due_on"], name="person_due_village_date")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.due_on}"


class ObligationRule(models.Model):
    """One visiting rule (走访频次): people in `program`, at `risk_level` (blank:
    any level), with a pairing of `pairing_kind` (blank: whether paired or not)
    are owed the `duty` once per `period`.

    Rules with `county` empty are the defaults (domain.md §0, §2.5); a county that
    has rules of its own uses only those. Where a rule for a specific risk level
    and a rule for any level ask for the same duty of the same carers, the specific
    one applies. Overdue obligations escalate to the village worker and then the
    township supervisor after the given numbers of days.
    """

    county = models.ForeignKey(
        "regions.Area", verbose_name=_("适用县"), null=True, blank=True,
        on_delete=models.PROTECT, limit_choices_to={"level": 3}, related_name="+",
    )  # fmt: skip
    program = models.CharField(_("项目"), max_length=24, choices=Program.choices)
    risk_level = models.CharField(
        _("风险等级"), max_length=16, choices=RiskLevel.choices, blank=True
    )
    pairing_kind = models.CharField(
        _("结对类别"), max_length=20, choices=c.CarerKind.choices, blank=True
    )
    duty = models.CharField(_("内容"), max_length=20, choices=c.Duty.choices)
    period = models.CharField(_("频次"), max_length=12, choices=c.Period.choices)
    escalate_village_days = models.PositiveSmallIntegerField(
        _("逾期几天告知村级"), default=3, validators=[MaxValueValidator(365)]
    )
    escalate_township_days = models.PositiveSmallIntegerField(
        _("逾期几天上报乡镇"), default=14, validators=[MaxValueValidator(365)]
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("走访频次规则")
        verbose_name_plural = _("走访频次规则")
        ordering = ["county", "program", "pairing_kind", "duty", "risk_level"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "program", "risk_level", "pairing_kind", "duty"],
                condition=Q(county__isnull=False),
                name="obligation_rule_once_in_county",
            ),
            models.UniqueConstraint(
                fields=["program", "risk_level", "pairing_kind", "duty"],
                condition=Q(county__isnull=True),
                name="obligation_rule_once_by_default",
            ),
        ]

    def __str__(self) -> str:
        program, duty = self.get_program_display(), self.get_duty_display()
        return f"{program} · {duty} · {self.get_period_display()}"


class Notification(models.Model):
    """An in-app reminder for one user about one obligation on one due date, at one
    escalation level (0 the carers, 1 the village worker, 2 the township
    supervisor). `key` is unique, so running the reminder job twice creates and
    sends nothing twice; `sent_at` records delivery through the outbound channel.
    """

    user = models.ForeignKey(_USER, on_delete=models.CASCADE, related_name="notifications")
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="+", verbose_name=_("对象")
    )
    kind = models.CharField(_("类型"), max_length=12, choices=c.NotificationKind.choices)
    duty = models.CharField(_("内容"), max_length=20, choices=c.Duty.choices)
    due_on = models.DateField(_("应完成日期"))
    level = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.text
