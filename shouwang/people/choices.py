"""Code lists of the national registration forms (domain.md §2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The 56 officially recognised ethnic groups (GB/T 3304), in the standard order.
ETHNICITIES = [
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
    "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
    "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
    "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族",
    "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族",
    "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
]  # fmt: skip
ETHNICITY_CHOICES = [(name, name) for name in ETHNICITIES]


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Health(models.TextChoices):
    HEALTHY = "healthy", _("健康")
    DISABLED = "disabled", _("残疾")
    SERIOUSLY_ILL = "seriously_ill", _("患重病")


class DisabilityGrade(models.IntegerChoices):
    FIRST = 1, _("一级")
    SECOND = 2, _("二级")
    THIRD = 3, _("三级")
    FOURTH = 4, _("四级")


class Dependence(models.TextChoices):
    INDEPENDENT = "independent", _("能自理")
    SEMI = "semi", _("半失能")
    FULL = "full", _("失能")


class Schooling(models.TextChoices):
    KINDERGARTEN = "kindergarten", _("在园")
    NOT_IN_KINDERGARTEN = "not_in_kindergarten", _("未入园")
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中")
    VOCATIONAL = "vocational", _("中职")
    DROPPED_OUT = "dropped_out", _("辍学")
    NOT_IN_SCHOOL = "not_in_school", _("不在学")


# At a school with a head teacher (班主任).
AT_SCHOOL = {Schooling.PRIMARY, Schooling.JUNIOR, Schooling.SENIOR, Schooling.VOCATIONAL}


class GuardianshipType(models.TextChoices):
    NONE = "none", _("无人监护")
    PARENT_INCAPABLE = "parent_incapable", _("父或母无监护能力")
    ENTRUSTED_INSUFFICIENT = "entrusted_insufficient", _("受委托监护人监护能力不足")
    AVERAGE = "average", _("监护情况一般")
    GOOD = "good", _("监护情况较好")


class GuardianshipAssessment(models.TextChoices):
    GOOD = "good", _("较好")
    AVERAGE = "average", _("一般")
    POOR = "poor", _("差")


class GuardianCapacity(models.TextChoices):
    FULL = "full", _("有监护能力")
    LIMITED = "limited", _("监护能力不足")
    NONE = "none", _("无监护能力")


class PersonStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    MOVED_OUT = "moved_out", _("迁出")
    DECEASED = "deceased", _("死亡")
    MERGED = "merged", _("已合并")


class RiskLevel(models.TextChoices):
    """The level a person's care is graded at. Until a grading sets one (the
    protection issue), `Person.objects.with_risk()` derives the elderly tiers of
    the local visiting rule (domain.md §2.5) from the file."""

    HIGH = "high", _("高风险")
    PRIORITY = "priority", _("重点")
    GENERAL = "general", _("一般")


class RelationKind(models.TextChoices):
    FATHER = "father", _("父亲")
    MOTHER = "mother", _("母亲")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PATERNAL_GRANDFATHER = "paternal_grandfather", _("祖父")
    PATERNAL_GRANDMOTHER = "paternal_grandmother", _("祖母")
    MATERNAL_GRANDFATHER = "maternal_grandfather", _("外祖父")
    MATERNAL_GRANDMOTHER = "maternal_grandmother", _("外祖母")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER_RELATIVE = "other_relative", _("其他亲属")
    OTHER = "other", _("其他（非亲属）")


PARENT_KINDS = {RelationKind.FATHER, RelationKind.MOTHER}
GRANDPARENT_KINDS = {
    RelationKind.PATERNAL_GRANDFATHER,
    RelationKind.PATERNAL_GRANDMOTHER,
    RelationKind.MATERNAL_GRANDFATHER,
    RelationKind.MATERNAL_GRANDMOTHER,
}


# Assistance a person receives (救助), one boolean column each so lists can filter.
ASSISTANCE_FIELDS = {
    "dibao": _("低保"),
    "tekun": _("特困（五保）"),
    "temporary_aid": _("临时救助"),
    "medical_aid": _("医疗救助"),
    "housing_aid": _("住房救助"),
    "poverty_monitoring": _("防返贫监测"),
    "orphan": _("孤儿"),
    "de_facto_unsupported": _("事实无人抚养"),
}


class IncomeSource(models.TextChoices):
    MIGRANT_WORK = "migrant_work", _("打工")
    FARMING = "farming", _("种养殖")
    GOVERNMENT_AID = "government_aid", _("政府救助")
    RELATIVES = "relatives", _("亲朋接济")
    OTHER = "other", _("其他")
