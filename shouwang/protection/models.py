"""Protection: risk grading (风险评估), mandatory reports and the cases that follow
(强制报告 → 应急处置 → 评估帮扶 → 监护干预), services and aid, care stations (八有)
and their activities."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shouwang.core.crypto import EncryptedTextField
from shouwang.core.scoping import ScopedQuerySet
from shouwang.people.choices import RiskLevel
from shouwang.protection import choices as c

_USER = settings.AUTH_USER_MODEL
VILLAGE_ONLY = {"level": 5}


# --- risk grading ----------------------------------------------------------------


class RiskScale(models.Model):
    """A set of risk levels (五级风险等级, 四色 红黄蓝绿 …). Exactly one scale is the
    default; a province, city or county may use another (`RiskScaleAssignment`).
    A scale with `county` is that county's own copy, which only it uses and edits;
    the others are shared."""

    key = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    is_default = models.BooleanField(_("默认"), default=False)
    county = models.ForeignKey(
        "regions.Area", verbose_name=_("自定义的县"), null=True, blank=True,
        on_delete=models.PROTECT, limit_choices_to={"level": 3}, related_name="+",
    )  # fmt: skip
    note = models.CharField(_("说明"), max_length=200, blank=True)
    # Moved on by every save of its levels (they are edited together, as one form).
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("风险等级标准")
        verbose_name_plural = _("风险等级标准")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_scale"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RiskGrade(models.Model):
    """One level of a scale. Rank 1 is the highest risk. A total score at or above
    `min_score` reaches the level (the highest-ranked level reached wins); `tier` is
    the visiting tier it puts the person in (the visiting rules are written per
    tier), `reassess_days` how soon the person must be assessed again."""

    scale = models.ForeignKey(RiskScale, on_delete=models.CASCADE, related_name="grades")
    rank = models.PositiveSmallIntegerField(_("序位"))
    code = models.SlugField(_("代码"), max_length=20)
    label = models.CharField(_("名称"), max_length=30)
    colour = models.CharField(_("颜色"), max_length=7)
    min_score = models.PositiveSmallIntegerField(_("最低分值"))
    tier = models.CharField(_("走访等级"), max_length=16, choices=RiskLevel.choices)
    reassess_days = models.PositiveSmallIntegerField(
        _("复评间隔（天）"), validators=[MinValueValidator(1), MaxValueValidator(730)]
    )

    class Meta:
        verbose_name = _("风险等级")
        verbose_name_plural = _("风险等级")
        ordering = ["scale", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "rank"], name="grade_rank_once"),
            models.UniqueConstraint(fields=["scale", "code"], name="grade_code_once"),
        ]

    def __str__(self) -> str:
        return self.label


class RiskScaleAssignment(models.Model):
    """A province, city or county grading with a scale other than the default; the
    most specific assignment above a person's village applies."""

    area = models.OneToOneField(
        "regions.Area", verbose_name=_("地区"), on_delete=models.PROTECT, related_name="+"
    )
    scale = models.ForeignKey(RiskScale, verbose_name=_("风险等级标准"), on_delete=models.PROTECT)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("地区风险等级标准")
        verbose_name_plural = _("地区风险等级标准")

    def __str__(self) -> str:
        return f"{self.area_id} → {self.scale}"


class Assessment(models.Model):
    """One risk assessment of a person: the rubric answers, the score, the red
    flags raised, the level computed and the level decided (`grade`, which differs
    from `computed_grade` only by a manual override with a reason). Never edited:
    a new assessment supersedes it."""

    scope_field = "person__village_id"

    person = models.ForeignKey(
        "people.Person", verbose_name=_("对象"), on_delete=models.CASCADE,
        related_name="assessments",
    )  # fmt: skip
    scale = models.ForeignKey(RiskScale, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=10)
    answers = models.JSONField(_("评估项"), default=dict)
    score = models.PositiveSmallIntegerField(_("总分"))
    red_flags = models.JSONField(_("高危情形"), default=list, blank=True)
    computed_grade = models.ForeignKey(
        RiskGrade, verbose_name=_("计算等级"), on_delete=models.PROTECT, related_name="+"
    )
    grade = models.ForeignKey(
        RiskGrade, verbose_name=_("评定等级"), on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.CharField(_("调整理由"), max_length=200, blank=True)
    assessed_on = models.DateField(_("评估日期"))
    next_due = models.DateField(_("下次复评日期"))
    notes = models.CharField(_("评估说明"), max_length=500, blank=True)
    assessed_by = models.ForeignKey(
        _USER, verbose_name=_("评估人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("风险评估")
        verbose_name_plural = _("风险评估")
        ordering = ["-assessed_on", "-id"]
        indexes = [models.Index(fields=["person", "assessed_on"], name="assessment_person_day")]

    def __str__(self) -> str:
        return f"{self.person} · {self.grade} · {self.assessed_on}"

    @property
    def overridden(self) -> bool:
        return self.grade_id != self.computed_grade_id


class CurrentRisk(models.Model):
    """A person's level in force: their latest assessment. Lists and worklists read
    it with one join (`select_related("current_risk__grade")`). Always the assessment with
    the latest (`assessed_on`, id) of the person; `next_due` is its reassessment
    date. Maintained by `assessment_record`."""

    scope_field = "person__village_id"

    person = models.OneToOneField(
        "people.Person",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="current_risk",
    )
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="+")
    grade = models.ForeignKey(RiskGrade, on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField()
    next_due = models.DateField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["next_due"], name="current_risk_next_due")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.grade}"


# --- cases -----------------------------------------------------------------------


class CaseDeadline(models.Model):
    """How long a case may stay in a state (受理 within 1 hour, 评估 within 72 …):
    past `hours` it is escalated to the township, `county_after_hours` later to the
    county. Rows with `county` empty are the defaults; a county with rows of its own
    uses them for the states it lists."""

    county = models.ForeignKey(
        "regions.Area", verbose_name=_("适用县"), null=True, blank=True,
        on_delete=models.PROTECT, limit_choices_to={"level": 3}, related_name="+",
    )  # fmt: skip
    state = models.CharField(_("状态"), max_length=16, choices=c.CaseState.choices)
    hours = models.PositiveIntegerField(
        _("时限（小时）"), validators=[MinValueValidator(1), MaxValueValidator(24 * 365)]
    )
    county_after_hours = models.PositiveIntegerField(
        _("超时后几小时上报县级"), validators=[MinValueValidator(1), MaxValueValidator(24 * 365)]
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        constraints = [
            models.UniqueConstraint(
                fields=["county", "state"], condition=Q(county__isnull=False),
                name="deadline_once_in_county",
            ),
            models.UniqueConstraint(
                fields=["state"], condition=Q(county__isnull=True), name="deadline_once_default"
            ),
            models.CheckConstraint(
                condition=Q(hours__gte=1) & Q(county_after_hours__gte=1),
                name="deadline_positive",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_state_display()} {self.hours}h"


class CaseQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> CaseQuerySet:
        """Need-to-know: cases in the user's scope that they are assigned to — or all
        of them for supervisors and county protection staff (`oversee_cases`).
        Someone who can see the person does not thereby see their cases."""
        scoped = super().visible_to(user)
        if scoped.query.is_empty() or user.has_perm("protection.oversee_cases"):
            return scoped
        assigned = ProtectionCase.assignees.through.objects.filter(
            protectioncase_id=OuterRef("pk"), user_id=user.pk
        )
        return scoped.filter(Exists(assigned))

    def open(self) -> CaseQuerySet:
        return self.exclude(state=c.CaseState.CLOSED)


class ProtectionCase(models.Model):
    """A mandatory report (强制报告) and the case handling that follows.

    Invariants: `state` changes only through `case_transition`, which records a
    `CaseEvent`; `state_since` is when the current state began and `deadline_at`
    when it must be left (None when closed or no deadline is configured);
    `escalation_level` is 0, 1 (township told) or 2 (county told) for the current
    state. A closed case has `signed_off_by`. Content (description, immediate
    action, closing summary, notes, the reporter's phone) is encrypted, masked in
    the audit log, and every read is audited.
    """

    scope_field = "village_id"

    village = models.ForeignKey(
        "regions.Area", verbose_name=_("发生地（村、社区）"), on_delete=models.PROTECT,
        limit_choices_to=VILLAGE_ONLY, related_name="+",
    )  # fmt: skip
    category = models.CharField(_("报告情形"), max_length=24, choices=c.CaseCategory.choices)
    people = models.ManyToManyField(
        "people.Person", verbose_name=_("涉及人员"), blank=True, related_name="cases"
    )
    others_involved = models.CharField(_("未建档的涉及人员"), max_length=200, blank=True)
    description = EncryptedTextField(_("情况描述"))
    discovered_at = models.DateTimeField(_("发现时间"))
    discovered_place = models.CharField(_("发现地点"), max_length=200)
    channel = models.CharField(
        _("报告来源"), max_length=10, choices=c.IntakeChannel.choices,
        default=c.IntakeChannel.SYSTEM,
    )  # fmt: skip
    reporter_name = models.CharField(_("报告人"), max_length=50)
    reporter_phone = EncryptedTextField(_("报告人联系电话"), blank=True)
    reporter_org = models.CharField(_("报告人单位"), max_length=100, blank=True)
    immediate_action = EncryptedTextField(_("已采取的措施"), blank=True)
    police_notified = models.BooleanField(_("已报警"), default=False)
    police_notified_at = models.DateTimeField(_("报警时间"), null=True, blank=True)

    state = models.CharField(
        _("状态"), max_length=16, choices=c.CaseState.choices, default=c.CaseState.REPORTED
    )
    state_since = models.DateTimeField(_("进入当前状态时间"))
    deadline_at = models.DateTimeField(_("当前环节时限"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("督办级别"), default=0)
    assignees = models.ManyToManyField(
        _USER, verbose_name=_("承办人"), blank=True, related_name="assigned_cases"
    )
    closing_summary = EncryptedTextField(_("结案意见"), blank=True)
    signed_off_by = models.ForeignKey(
        _USER, verbose_name=_("结案审核人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    reported_by = models.ForeignKey(
        _USER, verbose_name=_("填报账号"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("报告时间"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("保护案件")
        verbose_name_plural = _("保护案件")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("oversee_cases", _("查看辖区内全部保护案件")),
            ("signoff_case", _("审核结案")),
        ]
        indexes = [
            models.Index(fields=["village", "state"], name="case_village_state"),
            models.Index(fields=["state", "deadline_at"], name="case_state_deadline"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """The case number staff quote on the phone: BH + report date + id."""
        created = timezone.localtime(self.created_at)
        return f"BH{created:%Y%m%d}-{self.pk or 0:04d}"

    @property
    def is_closed(self) -> bool:
        return self.state == c.CaseState.CLOSED

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.deadline_at is not None and now > self.deadline_at


class CaseEvent(models.Model):
    """One move of a case from a state to the next: who, when, and why."""

    case = models.ForeignKey(ProtectionCase, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=16, choices=c.CaseState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=c.CaseState.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(_USER, null=True, on_delete=models.SET_NULL, related_name="+")
    note = EncryptedTextField(_("说明"), blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.from_state}→{self.to_state}"


class CaseNote(models.Model):
    """A case note (工作记录): need-to-know, encrypted, every read audited."""

    case = models.ForeignKey(ProtectionCase, on_delete=models.CASCADE, related_name="notes")
    text = EncryptedTextField(_("记录内容"))
    author = models.ForeignKey(_USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} note {self.pk}"


class Referral(models.Model):
    """A case referred to an agency (转介) and the agency's answer."""

    case = models.ForeignKey(ProtectionCase, on_delete=models.CASCADE, related_name="referrals")
    agency = models.CharField(_("转介单位"), max_length=20, choices=c.Agency.choices)
    referred_on = models.DateField(_("转介日期"))
    note = models.CharField(_("转介事项"), max_length=300, blank=True)
    answer = models.CharField(
        _("回复"), max_length=10, choices=c.ReferralAnswer.choices, blank=True
    )
    answer_note = models.CharField(_("回复内容"), max_length=300, blank=True)
    answered_on = models.DateField(_("回复日期"), null=True, blank=True)
    by = models.ForeignKey(_USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["referred_on", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.get_agency_display()}"


class Intervention(models.Model):
    """A guardianship intervention (监护干预) with its date."""

    case = models.ForeignKey(ProtectionCase, on_delete=models.CASCADE, related_name="interventions")
    kind = models.CharField(_("干预措施"), max_length=20, choices=c.InterventionKind.choices)
    on = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    by = models.ForeignKey(_USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["on", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_kind_display()}"


class CaseEscalation(models.Model):
    """A deadline breach told upward: level 1 to the township, level 2 to the
    county, once per case, state entry and level."""

    case = models.ForeignKey(ProtectionCase, on_delete=models.CASCADE, related_name="escalations")
    state = models.CharField(max_length=16, choices=c.CaseState.choices)
    state_since = models.DateTimeField()
    level = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    notified = models.JSONField(default=list)  # usernames told

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "state_since", "level"], name="escalation_once")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} L{self.level} {self.state}"


# --- services and aid ------------------------------------------------------------


class Service(models.Model):
    """A service delivered to a person (心理疏导, 体检, 技能培训 …)."""

    scope_field = "person__village_id"

    person = models.ForeignKey(
        "people.Person", verbose_name=_("服务对象"), on_delete=models.CASCADE,
        related_name="services",
    )  # fmt: skip
    kind = models.CharField(_("服务类别"), max_length=20, choices=c.ServiceKind.choices)
    date = models.DateField(_("服务日期"))
    provider = models.CharField(_("服务提供方"), max_length=100)
    volunteer = models.ForeignKey(
        "care.Volunteer", verbose_name=_("志愿者"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    fund = models.CharField(_("资金来源"), max_length=20, choices=c.Fund.choices, blank=True)
    notes = models.CharField(_("服务内容"), max_length=300, blank=True)
    activity = models.ForeignKey(
        "Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    recorded_by = models.ForeignKey(_USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["person", "date"], name="service_person_date")]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_kind_display()} · {self.date}"


class Aid(models.Model):
    """Aid handed out (慰问): cash (慰问金, `amount`) or goods (慰问品, `items` worth
    `value`), to a person on file or to a relative of theirs working away
    (`relation`). Amounts are in yuan and never negative; `total` is what counts."""

    scope_field = "person__village_id"
    # Aid changes the figures of its own month only (audit.AreaChange.month).
    figures_month_field = "date"

    person = models.ForeignKey(
        "people.Person", verbose_name=_("对象"), on_delete=models.CASCADE, related_name="aid"
    )
    relation = models.ForeignKey(
        "people.Relation", verbose_name=_("外出务工亲属"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    kind = models.CharField(_("类别"), max_length=8, choices=c.AidKind.choices)
    date = models.DateField(_("发放日期"))
    amount = models.DecimalField(
        _("金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    items = models.CharField(_("物品"), max_length=200, blank=True)
    value = models.DecimalField(
        _("折合金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    giver = models.CharField(_("发放单位或人员"), max_length=100)
    fund = models.CharField(_("资金来源"), max_length=20, choices=c.Fund.choices)
    activity = models.ForeignKey(
        "Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="aid"
    )
    recorded_by = models.ForeignKey(_USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("慰问救助")
        verbose_name_plural = _("慰问救助")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["person", "date"], name="aid_person_date")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(amount__isnull=True) | Q(amount__gte=0))
                & (Q(value__isnull=True) | Q(value__gte=0)),
                name="aid_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_kind_display()} · {self.date}"

    @property
    def total(self):
        return (self.amount if self.kind == c.AidKind.CASH else self.value) or 0


# --- stations and activities -----------------------------------------------------


class Station(models.Model):
    """A care station in a village (留守儿童之家, 妇女之家 …) and its 八有 checklist."""

    scope_field = "village_id"

    village = models.ForeignKey(
        "regions.Area", verbose_name=_("村（社区）"), on_delete=models.PROTECT,
        limit_choices_to=VILLAGE_ONLY, related_name="+",
    )  # fmt: skip
    kind = models.CharField(_("类别"), max_length=20, choices=c.StationKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    manager = models.CharField(_("负责人"), max_length=50, blank=True)
    opened_on = models.DateField(_("建成日期"), null=True, blank=True)
    has_sign = models.BooleanField(c.EIGHT_HAVES["has_sign"], default=False)
    has_venue = models.BooleanField(c.EIGHT_HAVES["has_venue"], default=False)
    has_equipment = models.BooleanField(c.EIGHT_HAVES["has_equipment"], default=False)
    has_staff = models.BooleanField(c.EIGHT_HAVES["has_staff"], default=False)
    has_files = models.BooleanField(c.EIGHT_HAVES["has_files"], default=False)
    has_plan = models.BooleanField(c.EIGHT_HAVES["has_plan"], default=False)
    has_ledger = models.BooleanField(c.EIGHT_HAVES["has_ledger"], default=False)
    has_funding = models.BooleanField(c.EIGHT_HAVES["has_funding"], default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("关爱阵地")
        verbose_name_plural = _("关爱阵地")
        ordering = ["village_id", "kind", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def haves_done(self) -> int:
        return sum(getattr(self, name) for name in c.EIGHT_HAVES)

    @property
    def haves_missing(self) -> list[str]:
        return [str(label) for name, label in c.EIGHT_HAVES.items() if not getattr(self, name)]

    @property
    def completion(self) -> int:
        """Per cent of the 八有 in place."""
        return round(100 * self.haves_done / len(c.EIGHT_HAVES))


class Activity(models.Model):
    """An activity held at a station: who took part (people on file, volunteers)
    and the aid handed out (`Aid.activity`). It appears on each participant's
    timeline."""

    scope_field = "station__village_id"

    station = models.ForeignKey(
        Station, verbose_name=_("阵地"), on_delete=models.PROTECT, related_name="activities"
    )
    date = models.DateField(_("日期"))
    kind = models.CharField(_("活动类别"), max_length=20, choices=c.ActivityKind.choices)
    title = models.CharField(_("活动名称"), max_length=100)
    description = models.TextField(_("活动内容"), blank=True)
    participants = models.ManyToManyField(
        "people.Person", verbose_name=_("参加人员"), blank=True, related_name="activities"
    )
    volunteers = models.ManyToManyField(
        "care.Volunteer", verbose_name=_("参加志愿者"), blank=True, related_name="activities"
    )
    recorded_by = models.ForeignKey(_USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("阵地活动")
        verbose_name_plural = _("阵地活动")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.title} · {self.date}"
