"""The columns of each ledger (台账): one definition for the downloadable template,
the import and the export, so that an export imports back with no change.

A column has a `key` — a field of the person (`name`), of a relation prefixed with
its kind (`father.name`), or of a volunteer — a Chinese header, the synonyms a
county's own spreadsheet may use instead, a `kind` that says how a cell is read
and written, the choices of a drop-down (stored value → label), whether the file
requires it, and whether it is sensitive (masked on export unless the user may
reveal it). Pure data: no database access.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from shouwang.care import choices as care
from shouwang.people import choices as c
from shouwang.people.eligibility import DifficultyCategory, Program
from shouwang.protection import choices as pr

# How a cell is read (import) and written (export, template).
TEXT, DATE, ID_NUMBER, PHONE, CHOICE, MULTI, BOOL, INT, AREA = (
    "text", "date", "id_number", "phone", "choice", "multi", "bool", "int", "area",
)  # fmt: skip
YES_NO = (("1", _("是")), ("0", _("否")))


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = TEXT
    synonyms: tuple[str, ...] = ()
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False
    sensitive: bool = False
    note: str = ""
    width: int = 12

    @property
    def labels(self) -> list[str]:
        """The drop-down's entries, as a person reads them."""
        if self.kind == BOOL:
            return [str(label) for _v, label in YES_NO]
        return [str(label) for _v, label in self.choices]


@dataclass(frozen=True)
class Ledger:
    """One kind of ledger: its key (URLs, file names), title, the program its
    people are in (None: not a ledger of people), and its columns in order."""

    key: str
    title: str
    columns: tuple[Column, ...]
    program: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    template: bool = True  # False: exported only, never filled in and imported

    def column(self, key: str) -> Column:
        return next(col for col in self.columns if col.key == key)


def _choices(text_choices) -> tuple[tuple[str, str], ...]:
    return tuple((str(v), label) for v, label in text_choices.choices)


# --- people ---------------------------------------------------------------------

_IDENTITY = (
    Column("name", _("姓名"), required=True, synonyms=("儿童姓名", "老人姓名", "妇女姓名"),
           width=10),
    Column("sex", _("性别"), CHOICE, choices=_choices(c.Sex), width=6),
    Column("ethnicity", _("民族"), CHOICE, choices=tuple((e, e) for e in c.ETHNICITIES),
           width=8),
    Column("birth_date", _("出生日期"), DATE, synonyms=("出生年月日", "出生年月"),
           note=_("可留空，由身份证号码推出"), width=12),
    Column("id_number", _("身份证号码"), ID_NUMBER, sensitive=True,
           synonyms=("身份证号", "公民身份号码", "身份证"),
           note=_("请将单元格设为文本格式，否则 Excel 会丢失后三位"), width=22),
    Column("hukou_registered", _("已登记户口"), BOOL, synonyms=("是否登记户口",), width=8),
    Column("phone", _("联系电话"), PHONE, sensitive=True, synonyms=("电话", "手机", "手机号码"),
           width=14),
    Column("village", _("村（社区）代码"), AREA, required=True,
           synonyms=("村代码", "村（居）代码", "行政区划代码"),
           note=_("12 位统计用区划代码"), width=14),
    Column("address", _("现住址"), synonyms=("住址", "家庭住址", "现居住地"), width=24),
)  # fmt: skip
_HEALTH = (
    Column("health", _("健康状况"), CHOICE, choices=_choices(c.Health), width=8),
    Column("disability_type", _("残疾类别"), width=10),
    Column("disability_grade", _("残疾等级"), CHOICE, choices=_choices(c.DisabilityGrade),
           width=8),
    Column("illness", _("疾病名称"), width=12),
)  # fmt: skip
_ASSISTANCE = tuple(
    Column(name, label, BOOL, width=8)
    for name, label in c.ASSISTANCE_FIELDS.items()
    if name not in ("orphan", "de_facto_unsupported", "poverty_monitoring")
)
_INCOME = (
    Column("income_sources", _("家庭收入来源"), MULTI, choices=_choices(c.IncomeSource),
           note=_("可填多项，用顿号或逗号分隔"), width=16),
)  # fmt: skip


def _of(template, who):
    """`template` % who, translated when shown (not once, at import, in Chinese)."""
    return lazy(lambda: str(template) % {"who": str(who)}, str)()


def _relative(kind: str, label: str) -> tuple[Column, ...]:
    """The columns the national child form has for a father or a mother."""
    return (
        Column(f"{kind}.name", _of(_("%(who)s姓名"), label), width=10),
        Column(f"{kind}.birth_date", _of(_("%(who)s出生日期"), label), DATE, width=12),
        Column(f"{kind}.id_number", _of(_("%(who)s身份证号码"), label), ID_NUMBER,
               sensitive=True, width=22),
        Column(f"{kind}.phone", _of(_("%(who)s联系电话"), label), PHONE, sensitive=True,
               width=14),
        Column(f"{kind}.working_away", _of(_("%(who)s外出务工"), label), BOOL, width=8),
        Column(f"{kind}.work_province", _of(_("%(who)s务工省份"), label), width=10),
        Column(f"{kind}.work_city", _of(_("%(who)s务工城市"), label), width=10),
        Column(f"{kind}.capacity", _of(_("%(who)s监护能力"), label), CHOICE,
               choices=_choices(c.GuardianCapacity), width=12),
    )  # fmt: skip


_GUARDIAN = (
    Column("guardian.name", _("受委托监护人姓名"), synonyms=("监护人姓名",), width=10),
    Column("guardian.kind", _("与儿童关系"), CHOICE, choices=_choices(c.RelationKind),
           synonyms=("监护人与儿童关系",), width=10),
    Column("guardian.id_number", _("受委托监护人身份证号码"), ID_NUMBER, sensitive=True,
           synonyms=("监护人身份证号码",), width=22),
    Column("guardian.phone", _("受委托监护人联系电话"), PHONE, sensitive=True,
           synonyms=("监护人联系电话", "监护人电话"), width=14),
    Column("guardian.capacity", _("受委托监护人监护能力"), CHOICE,
           choices=_choices(c.GuardianCapacity), width=12),
)  # fmt: skip
_SCHOOL = (
    Column("schooling", _("就学状况"), CHOICE, choices=_choices(c.Schooling), width=10),
    Column("school", _("学校"), synonyms=("就读学校",), width=18),
    Column("grade", _("年级"), width=8),
    Column("class_name", _("班级"), width=8),
    Column("head_teacher", _("班主任"), width=10),
    Column("head_teacher_phone", _("班主任电话"), PHONE, sensitive=True, width=14),
    Column("boarding", _("寄宿"), BOOL, synonyms=("是否寄宿",), width=6),
)  # fmt: skip
_GUARDIANSHIP = (
    Column("guardianship_type", _("监护类型"), CHOICE, choices=_choices(c.GuardianshipType),
           width=18),
    Column("guardianship_assessment", _("监护评估"), CHOICE,
           choices=_choices(c.GuardianshipAssessment), width=8),
)  # fmt: skip
_NOTES = (Column("notes", _("备注"), width=20),)

CHILDREN = Ledger(
    key="children",
    title=_("农村留守儿童信息表"),
    program=Program.LEFT_BEHIND_CHILD,
    columns=(
        *_IDENTITY,
        *_HEALTH,
        *_SCHOOL,
        *_relative("father", _("父亲")),
        *_relative("mother", _("母亲")),
        *_GUARDIAN,
        *_GUARDIANSHIP,
        *_ASSISTANCE,
        *_INCOME,
        *_NOTES,
    ),  # fmt: skip
)
DIFFICULTY = Ledger(
    key="difficulty",
    title=_("困境儿童信息表"),
    program=Program.CHILD_IN_DIFFICULTY,
    columns=(
        *_IDENTITY,
        Column(
            "difficulty_categories",
            _("困境类别"),
            MULTI,
            choices=_choices(DifficultyCategory),
            required=True,
            note=_("可填多项，用顿号或逗号分隔"),
            width=20,
        ),
        Column("orphan", c.ASSISTANCE_FIELDS["orphan"], BOOL, width=6),
        Column("de_facto_unsupported", c.ASSISTANCE_FIELDS["de_facto_unsupported"], BOOL, width=10),
        *_HEALTH,
        *_SCHOOL,
        *_GUARDIAN,
        *_GUARDIANSHIP,
        *_ASSISTANCE,
        *_INCOME,
        *_NOTES,
    ),  # fmt: skip
)
WOMEN = Ledger(
    key="women",
    title=_("农村留守妇女信息表"),
    program=Program.LEFT_BEHIND_WOMAN,
    columns=(
        *_IDENTITY,
        *_HEALTH,
        *_relative("spouse", _("丈夫")),
        *_ASSISTANCE,
        *_INCOME,
        *_NOTES,
    ),  # fmt: skip
)
ELDERLY = Ledger(
    key="elderly",
    title=_("农村留守老年人信息表"),
    program=Program.LEFT_BEHIND_ELDERLY,
    columns=(
        *_IDENTITY,
        *_HEALTH,
        Column("lives_alone", _("独居"), BOOL, synonyms=("是否独居",), width=6),
        Column("dependence", _("自理能力"), CHOICE, choices=_choices(c.Dependence), width=8),
        *_ASSISTANCE,
        *_INCOME,
        *_NOTES,
    ),  # fmt: skip
)

# --- the care network -------------------------------------------------------------

VOLUNTEERS = Ledger(
    key="volunteers",
    title=_("关爱志愿者名册"),
    columns=(
        Column("name", _("姓名"), required=True, width=10),
        Column("kind", _("类别"), CHOICE, choices=_choices(care.CarerKind), required=True,
               width=14),
        Column("organisation", _("所属组织"), CHOICE, choices=_choices(care.Organisation),
               required=True, width=10),
        Column("organisation_name", _("单位名称"), width=18),
        Column("area", _("所在地区代码"), AREA, required=True,
               note=_("村（社区）或乡镇的 12 位代码"), width=14),
        Column("phone", _("联系电话"), PHONE, sensitive=True, width=14),
        Column("capacity", _("可结对人数"), INT, width=8),
        Column("status", _("审查状态"), CHOICE, choices=_choices(care.VolunteerStatus),
               width=8),
        Column("notes", _("备注"), width=20),
    ),
)  # fmt: skip
PAIRINGS = Ledger(
    key="pairings",
    title=_("结对帮扶台账"),
    columns=(
        Column("volunteer.name", _("志愿者姓名"), required=True, width=10),
        Column("volunteer.phone", _("志愿者联系电话"), PHONE, sensitive=True, width=14),
        Column("person.name", _("结对对象姓名"), required=True, width=10),
        Column("person.id_number", _("结对对象身份证号码"), ID_NUMBER, sensitive=True,
               width=22),
        Column("person.village", _("村（社区）代码"), AREA, required=True, width=14),
        Column("kind", _("结对类别"), CHOICE, choices=_choices(care.CarerKind), required=True,
               width=14),
        Column("started_on", _("开始日期"), DATE, required=True, width=12),
        Column("ended_on", _("结束日期"), DATE, width=12),
        Column("end_reason", _("结束原因"), CHOICE, choices=_choices(care.PairingEndReason),
               width=12),
    ),
)  # fmt: skip
CONTACTS = Ledger(
    key="contacts",
    title=_("走访与联系记录台账"),
    columns=(
        Column("person.name", _("对象姓名"), required=True, width=10),
        Column("person.id_number", _("对象身份证号码"), ID_NUMBER, sensitive=True, width=22),
        Column("person.village", _("村（社区）代码"), AREA, required=True, width=14),
        Column("date", _("日期"), DATE, required=True, width=12),
        Column("kind", _("方式"), CHOICE, choices=_choices(care.ContactKind), required=True,
               width=12),
        Column("parent.kind", _("通话亲属"), CHOICE, width=8,
               choices=tuple((str(k), k.label) for k in (c.RelationKind.FATHER,
                                                          c.RelationKind.MOTHER)),
               note=_("亲情通话必填：与孩子通话的父亲或母亲（须已登记在档案中）")),
        Column("volunteer.name", _("走访人（志愿者）"), width=10),
        Column("duration_minutes", _("时长（分钟）"), INT, width=8),
        Column("notes", _("情况记录"), width=30),
        Column("concern", _("需要关注"), BOOL, width=8),
    ),
)  # fmt: skip

# Exported only: a summary of protection cases, without their content (which is
# need-to-know and read on the case page, audited each time).
CASES = Ledger(
    key="cases",
    title=_("保护案件汇总"),
    template=False,
    columns=(
        Column("number", _("案件编号"), width=18),
        Column("category", _("报告情形"), CHOICE, choices=_choices(pr.CaseCategory), width=18),
        Column("village", _("村（社区）代码"), AREA, width=14),
        Column("village_name", _("村（社区）"), width=10),
        Column("channel", _("报告来源"), CHOICE, choices=_choices(pr.IntakeChannel), width=14),
        Column("reported_on", _("报告日期"), DATE, width=12),
        Column("police_notified", _("已报警"), BOOL, width=6),
        Column("state", _("状态"), CHOICE, choices=_choices(pr.CaseState), width=10),
        Column("deadline_on", _("本环节时限"), DATE, width=12),
        Column("overdue", _("已超时"), BOOL, width=6),
        Column("assignees", _("承办人"), width=16),
        Column("closed_on", _("结案日期"), DATE, width=12),
    ),
)

LEDGERS: dict[str, Ledger] = {
    ledger.key: ledger
    for ledger in (CHILDREN, DIFFICULTY, WOMEN, ELDERLY, VOLUNTEERS, PAIRINGS, CONTACTS, CASES)
}
