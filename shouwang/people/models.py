"""The registry: one file per person (一人一档), their households and relations,
care programs with versioned eligibility rules, enrollment and its proposals,
duplicate candidates and survey rounds (动态管理)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shouwang.core.crypto import EncryptedTextField
from shouwang.core.scoping import ScopedQuerySet, code_range, scope_prefix
from shouwang.people import choices as c
from shouwang.people.eligibility import (
    DifficultyCategory,
    ExitReason,
    Program,
    age_on,
    years_before,
)

VILLAGE_ONLY = {"level": 5}


class Household(models.Model):
    """A household (户) in a village; people on file point to it."""

    scope_field = "village_id"

    village = models.ForeignKey(
        "regions.Area", verbose_name=_("村（社区）"), on_delete=models.PROTECT,
        limit_choices_to=VILLAGE_ONLY, related_name="+",
    )  # fmt: skip
    address = models.CharField(_("住址"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("家庭户")
        verbose_name_plural = _("家庭户")

    def __str__(self) -> str:
        return self.address or f"#{self.pk}"


class PersonQuerySet(ScopedQuerySet):
    def active(self) -> PersonQuerySet:
        return self.filter(status=c.PersonStatus.ACTIVE)

    def with_risk(self, on: dt.date | None = None) -> PersonQuerySet:
        """Annotate `risk`: the graded `risk_level`, or else the tier of the local
        elderly visiting rule (domain.md §2.5) on `on` — high: 80+ and living
        alone, or seriously ill; priority: 60+ and disabled, dependent or 特困;
        general: everyone else. The one definition of a person's risk."""
        on = on or timezone.localdate()
        derived = Case(
            When(
                Q(birth_date__lte=years_before(on, 80), lives_alone=True)
                | Q(health=c.Health.SERIOUSLY_ILL),
                then=Value(c.RiskLevel.HIGH),
            ),
            When(
                Q(birth_date__lte=years_before(on, 60))
                & (
                    Q(health=c.Health.DISABLED)
                    | ~Q(dependence=c.Dependence.INDEPENDENT)
                    | Q(tekun=True)
                ),
                then=Value(c.RiskLevel.PRIORITY),
            ),
            default=Value(c.RiskLevel.GENERAL),
            output_field=models.CharField(),
        )
        return self.annotate(risk=Case(When(risk_level="", then=derived), default=F("risk_level")))


class Person(models.Model):
    """One person's file (一人一档): a left-behind child, woman or elderly person, or
    anyone else the work needs on file (a guardian, a parent).

    Invariants: `id_number` holds a normalised, valid 18-character number or is
    empty, and `id_number_index` is its blind index (unique) or NULL; birth date
    and sex agree with the ID number; `village` is a village-level area; the
    pinyin columns are derived from `name`; `version` grows by one on every save
    through the services (optimistic locking).
    """

    scope_field = "village_id"

    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别"), max_length=1, choices=c.Sex.choices)
    ethnicity = models.CharField(
        _("民族"), max_length=10, choices=c.ETHNICITY_CHOICES, default="汉族"
    )
    birth_date = models.DateField(_("出生日期"))
    id_number = EncryptedTextField(_("身份证号码"), blank=True)
    id_number_index = models.CharField(max_length=64, null=True, blank=True, unique=True)
    hukou_registered = models.BooleanField(_("已登记户口"), default=True)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    village = models.ForeignKey(
        "regions.Area", verbose_name=_("村（社区）"), on_delete=models.PROTECT,
        limit_choices_to=VILLAGE_ONLY, related_name="+",
    )  # fmt: skip
    address = models.CharField(_("现住址"), max_length=200, blank=True)
    household = models.ForeignKey(
        Household, verbose_name=_("家庭户"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="members",
    )  # fmt: skip

    # Health
    health = models.CharField(
        _("健康状况"), max_length=16, choices=c.Health.choices, default=c.Health.HEALTHY
    )
    disability_type = models.CharField(_("残疾类别"), max_length=30, blank=True)
    disability_grade = models.PositiveSmallIntegerField(
        _("残疾等级"), choices=c.DisabilityGrade.choices, null=True, blank=True
    )
    illness = models.CharField(_("疾病名称"), max_length=60, blank=True)
    lives_alone = models.BooleanField(_("独居"), default=False)
    dependence = models.CharField(
        _("自理能力"), max_length=12, choices=c.Dependence.choices,
        default=c.Dependence.INDEPENDENT,
    )  # fmt: skip

    # Assistance (救助)
    dibao = models.BooleanField(c.ASSISTANCE_FIELDS["dibao"], default=False)
    tekun = models.BooleanField(c.ASSISTANCE_FIELDS["tekun"], default=False)
    temporary_aid = models.BooleanField(c.ASSISTANCE_FIELDS["temporary_aid"], default=False)
    medical_aid = models.BooleanField(c.ASSISTANCE_FIELDS["medical_aid"], default=False)
    housing_aid = models.BooleanField(c.ASSISTANCE_FIELDS["housing_aid"], default=False)
    poverty_monitoring = models.BooleanField(
        c.ASSISTANCE_FIELDS["poverty_monitoring"], default=False
    )
    orphan = models.BooleanField(c.ASSISTANCE_FIELDS["orphan"], default=False)
    de_facto_unsupported = models.BooleanField(
        c.ASSISTANCE_FIELDS["de_facto_unsupported"], default=False
    )
    income_sources = models.JSONField(_("家庭收入来源"), default=list, blank=True)

    # Children: schooling and the school file
    schooling = models.CharField(_("就学状况"), max_length=20, choices=c.Schooling.choices,
                                 blank=True)  # fmt: skip
    school = models.CharField(_("学校"), max_length=100, blank=True)
    grade = models.CharField(_("年级"), max_length=20, blank=True)
    class_name = models.CharField(_("班级"), max_length=20, blank=True)
    head_teacher = models.CharField(_("班主任"), max_length=50, blank=True)
    head_teacher_phone = EncryptedTextField(_("班主任电话"), blank=True)
    boarding = models.BooleanField(_("寄宿"), default=False)
    personality = models.CharField(_("性格特点"), max_length=200, blank=True)
    hobbies = models.CharField(_("兴趣爱好"), max_length=200, blank=True)
    guardianship_type = models.CharField(
        _("监护类型"), max_length=30, choices=c.GuardianshipType.choices, blank=True
    )
    guardianship_assessment = models.CharField(
        _("监护评估"), max_length=10, choices=c.GuardianshipAssessment.choices, blank=True
    )
    # Categories of 困境儿童 set by staff; stored as ",code,code," so lists can filter.
    difficulty_codes = models.CharField(_("困境类别"), max_length=200, blank=True, default="")

    status = models.CharField(
        _("档案状态"), max_length=12, choices=c.PersonStatus.choices,
        default=c.PersonStatus.ACTIVE,
    )  # fmt: skip
    status_changed_on = models.DateField(_("状态变更日期"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(_("备注"), blank=True)
    risk_level = models.CharField(
        _("风险等级"), max_length=16, choices=c.RiskLevel.choices, blank=True
    )

    name_pinyin = models.CharField(max_length=200, editable=False, default="")
    name_initials = models.CharField(max_length=50, editable=False, default="")
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("人员档案")
        verbose_name_plural = _("人员档案")
        permissions = [("reveal_sensitive", _("查看完整身份证号码和电话"))]
        indexes = [
            models.Index(fields=["village", "name_initials"], name="person_village_initials"),
            models.Index(fields=["village", "name_pinyin"], name="person_village_pinyin"),
            models.Index(fields=["village", "birth_date"], name="person_village_birth"),
            models.Index(fields=["birth_date"], name="person_birth"),
            # Counting people in an area (rates) reads this narrow index only.
            models.Index(fields=["village", "id"], name="person_village_id"),
        ]

    def __str__(self) -> str:
        return self.name

    def age_on(self, day: dt.date) -> int:
        return age_on(self.birth_date, day)

    @staticmethod
    def visible_to_volunteer(queryset, user):
        """A volunteer sees the people on file currently paired with them, nobody else."""
        from shouwang.care.models import Pairing

        return queryset.filter(
            Exists(Pairing.objects.active().filter(person=OuterRef("pk"), volunteer__user=user)),
            status=c.PersonStatus.ACTIVE,
        )

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    @property
    def is_80_plus(self) -> bool:
        """高龄 flag of the elderly file: derived, never stored."""
        return self.age >= 80

    @property
    def difficulty_categories(self) -> list[str]:
        return difficulty_categories_of(self.difficulty_codes)

    @difficulty_categories.setter
    def difficulty_categories(self, codes) -> None:
        valid = {value for value, _label in DifficultyCategory.choices}
        kept = sorted(set(codes) & valid)
        self.difficulty_codes = f",{','.join(kept)}," if kept else ""

    @property
    def assistance_labels(self) -> list[str]:
        return [str(label) for field, label in c.ASSISTANCE_FIELDS.items() if getattr(self, field)]


def difficulty_categories_of(difficulty_codes: str) -> list[str]:
    """The categories a stored `difficulty_codes` (",a,b,") holds, in order."""
    return [code for code in difficulty_codes.split(",") if code]


class Relation(models.Model):
    """A family member, guardian or relative working away of a person on file.

    Either `relative` points to another file (a grandmother who is herself a
    left-behind elderly person), or the contact fields describe someone not on
    file. Working-away and guardian facts belong to the relation: they are what
    the child's file records about that person.
    """

    scope_field = "person__village_id"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relations")
    kind = models.CharField(_("关系"), max_length=24, choices=c.RelationKind.choices)
    relative = models.ForeignKey(
        Person, verbose_name=_("在册人员"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="relations_as_relative",
    )  # fmt: skip
    name = models.CharField(_("姓名"), max_length=50, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number = EncryptedTextField(_("身份证号码"), blank=True)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    living = models.BooleanField(_("健在"), default=True)

    working_away = models.BooleanField(_("外出务工"), default=False)
    work_province = models.ForeignKey(
        "regions.Area", verbose_name=_("务工省份"), null=True, blank=True,
        on_delete=models.PROTECT, limit_choices_to={"level": 1}, related_name="+",
    )  # fmt: skip
    work_city = models.ForeignKey(
        "regions.Area", verbose_name=_("务工城市"), null=True, blank=True,
        on_delete=models.PROTECT, limit_choices_to={"level": 2}, related_name="+",
    )  # fmt: skip
    employer = models.CharField(_("务工单位"), max_length=100, blank=True)
    months_away_12 = models.PositiveSmallIntegerField(_("近12个月外出月数"), null=True, blank=True)
    last_return_date = models.DateField(_("最近返乡日期"), null=True, blank=True)
    returned = models.BooleanField(_("已返乡"), default=False)

    is_guardian = models.BooleanField(_("监护人"), default=False)
    entrusted = models.BooleanField(_("受委托监护"), default=False)
    health = models.CharField(
        _("健康状况"), max_length=16, choices=c.Health.choices, default=c.Health.HEALTHY
    )
    capacity = models.CharField(
        _("监护能力"), max_length=10, choices=c.GuardianCapacity.choices,
        default=c.GuardianCapacity.FULL,
    )  # fmt: skip
    notified_school = models.BooleanField(_("已书面告知学校"), default=False)
    notified_village = models.BooleanField(_("已书面告知村委会"), default=False)

    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        constraints = [
            models.CheckConstraint(
                condition=Q(months_away_12__isnull=True) | Q(months_away_12__lte=12),
                name="relation_months_away_at_most_12",
            ),
            models.CheckConstraint(
                condition=Q(relative__isnull=False) | ~Q(name=""),
                name="relation_names_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.display_name}"

    @property
    def display_name(self) -> str:
        return self.relative.name if self.relative_id else self.name

    @property
    def is_away(self) -> bool:
        return self.working_away and not self.returned

    @property
    def age(self) -> int | None:
        """The relative's age today (a guardian's age is on the national form)."""
        born = self.relative.birth_date if self.relative_id else self.birth_date
        if born is None:
            return None
        return age_on(born, timezone.localdate())


class EligibilityRule(models.Model):
    """One version of a program's eligibility rule: parameters in force from a date.

    The rule for a person on a day is the newest version whose `effective_from` is
    on or before that day, preferring a rule for the person's county over the
    national default (`area` empty). Versions are never edited once used; a
    change is a new version.
    """

    program = models.CharField(_("项目"), max_length=24, choices=Program.choices)
    version = models.PositiveIntegerField(_("版本"))
    effective_from = models.DateField(_("生效日期"))
    area = models.ForeignKey(
        "regions.Area", verbose_name=_("适用地区"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    params = models.JSONField(_("参数"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("认定规则")
        verbose_name_plural = _("认定规则")
        ordering = ["program", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["program", "area", "version"], name="rule_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_program_display()} {self.label}"

    @property
    def label(self) -> str:
        """Which rule: 全国 v1, 松溪县 v2 (versions are counted per area)."""
        return f"{self.area.name if self.area_id else _('全国')} v{self.version}"


class Enrollment(models.Model):
    """A person's membership of a program from `started_on` until `ended_on`.

    At most one open enrollment per person and program; ended enrollments stay as
    history with the exit reason, and a person can be enrolled again later.
    """

    scope_field = "person__village_id"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="enrollments")
    program = models.CharField(_("项目"), max_length=24, choices=Program.choices)
    started_on = models.DateField(_("纳入日期"))
    ended_on = models.DateField(_("退出日期"), null=True, blank=True)
    exit_reason = models.CharField(
        _("退出原因"), max_length=20, choices=ExitReason.choices, blank=True
    )
    exit_note = models.CharField(_("退出说明"), max_length=200, blank=True)
    rule = models.ForeignKey(
        EligibilityRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("纳入依据"), max_length=200, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("项目纳入")
        verbose_name_plural = _("项目纳入")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "program"],
                condition=Q(ended_on__isnull=True),
                name="one_open_enrollment_per_program",
            )
        ]
        indexes = [models.Index(fields=["program", "ended_on"], name="enrollment_program_open")]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_program_display()}"

    @property
    def is_open(self) -> bool:
        return self.ended_on is None


class Proposal(models.Model):
    """A system proposal to enroll a person in a program or end their enrollment,
    with the reason and the rule version that produced it. Staff confirm or dismiss.
    """

    class Action(models.TextChoices):
        ENROLL = "enroll", _("纳入")
        EXIT = "exit", _("退出")

    class Status(models.TextChoices):
        PENDING = "pending", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        DISMISSED = "dismissed", _("已驳回")
        SUPERSEDED = "superseded", _("已失效")

    scope_field = "person__village_id"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="proposals")
    program = models.CharField(_("项目"), max_length=24, choices=Program.choices)
    action = models.CharField(_("建议"), max_length=8, choices=Action.choices)
    reason = models.CharField(_("理由"), max_length=200)
    exit_reason = models.CharField(
        _("退出原因"), max_length=20, choices=ExitReason.choices, blank=True
    )
    rule = models.ForeignKey(EligibilityRule, on_delete=models.PROTECT, related_name="+")
    proposed_on = models.DateField(_("提出日期"))
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("纳入/退出建议")
        verbose_name_plural = _("纳入/退出建议")
        ordering = ["-proposed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "program"],
                condition=Q(status="pending"),
                name="one_pending_proposal_per_program",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.get_program_display()}：{self.person}"


class DuplicateQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> DuplicateQuerySet:
        """A pair is visible only when both files are inside the user's scope."""
        scoped = super().visible_to(user)
        prefix = scope_prefix(user)
        if prefix is None or scoped.query.is_empty():
            return scoped
        low, high = code_range(prefix)
        return scoped.filter(person_b__village_id__gte=low, person_b__village_id__lte=high)


class DuplicateCandidate(models.Model):
    """Two files that may be the same person (person_a.id < person_b.id).

    A dismissed pair stays dismissed: it is never proposed again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待核查")
        MERGED = "merged", _("已合并")
        DISMISSED = "dismissed", _("不是同一人")

    scope_field = "person_a__village_id"

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("相似度"))
    reason = models.CharField(_("依据"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    found_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = DuplicateQuerySet.as_manager()

    class Meta:
        verbose_name = _("疑似重复档案")
        verbose_name_plural = _("疑似重复档案")
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="duplicate_pair"),
            models.CheckConstraint(condition=Q(person_a__lt=models.F("person_b")),
                                   name="duplicate_pair_ordered"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.person_a} / {self.person_b}"


class SurveyRoundQuerySet(models.QuerySet):
    def visible_to(self, user) -> SurveyRoundQuerySet:
        """Rounds for an area inside the user's scope, or for an area above it (a
        village worker takes part in the township's round)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if not user.has_perm("people.view_surveyround"):
            return self.none()
        area = getattr(user, "scope_area", None)
        prefix = scope_prefix(user)
        if area is None or prefix is None:
            return self.none()
        low, high = code_range(prefix)
        above = area.ancestor_codes()
        return self.filter(Q(area_id__gte=low, area_id__lte=high) | Q(area_id__in=above))


class SurveyRound(models.Model):
    """A survey round (摸底排查): every active file in `area` is to be verified
    between `starts_on` and `ends_on`."""

    title = models.CharField(_("名称"), max_length=100)
    area = models.ForeignKey(
        "regions.Area", verbose_name=_("范围"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("截止日期"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SurveyRoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("摸底排查")
        verbose_name_plural = _("摸底排查")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                   name="round_ends_after_start"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.title


class Verification(models.Model):
    """A file verified (核实) in a survey round, with what changed."""

    scope_field = "person__village_id"

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="verifications")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="verifications")
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(auto_now_add=True)
    changed = models.BooleanField(_("有变化"), default=False)
    note = models.CharField(_("核实说明"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("核实记录")
        verbose_name_plural = _("核实记录")
        constraints = [
            models.UniqueConstraint(fields=["round", "person"], name="verified_once_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.person}"
