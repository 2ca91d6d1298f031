"""Code lists of protection work: report categories and case states (domain.md §3),
referral agencies, guardianship interventions, services, aid, stations (八有)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseCategory(models.TextChoices):
    """What was reported: the situations of 国发〔2016〕13号 and the nine of
    高检发〔2020〕9号, plus an elderly person in danger."""

    ALONE_UNSUPERVISED = "alone_unsupervised", _("独自居住、无人监护")
    MISSING = "missing", _("失踪、走失")
    GUARDIAN_INCAPABLE = "guardian_incapable", _("监护人丧失监护能力")
    GUARDIAN_NEGLECT = "guardian_neglect", _("监护人不履行监护职责")
    DOMESTIC_VIOLENCE = "domestic_violence", _("疑似遭受家庭暴力")
    ABUSE = "abuse", _("疑似遭受虐待、欺凌")
    SEXUAL_HARM = "sexual_harm", _("疑似遭受性侵害")
    INJURY = "injury", _("意外伤害、自伤自残")
    ABANDONMENT = "abandonment", _("遗弃、长期无人照料")
    TRAFFICKING = "trafficking", _("来历不明、被拐卖")
    BEGGING = "begging", _("被组织乞讨")
    DROPOUT = "dropout", _("辍学")
    ELDERLY_DANGER = "elderly_danger", _("老年人处于危险境地")
    OTHER = "other", _("其他严重侵害或危险")


class IntakeChannel(models.TextChoices):
    """How the report came in: filed in Shouwang, or taken by a hotline operator."""

    SYSTEM = "system", _("平台上报")
    HOTLINE_12345 = "12345", _("12345 政务服务热线")
    HOTLINE_12349 = "12349", _("12349 民政服务热线")
    HOTLINE_12355 = "12355", _("12355 青少年服务热线")
    POLICE_110 = "110", _("110 报警转来")


class CaseState(models.TextChoices):
    """强制报告 → 应急处置 → 评估帮扶 → 监护干预, as states a case moves through."""

    REPORTED = "reported", _("已报告")
    ACCEPTED = "accepted", _("已受理")
    EMERGENCY = "emergency", _("应急处置")
    INVESTIGATING = "investigating", _("调查评估")
    SUPPORT = "support", _("帮扶")
    INTERVENTION = "intervention", _("监护干预")
    FOLLOW_UP = "follow_up", _("跟踪回访")
    CLOSED = "closed", _("结案")


class Agency(models.TextChoices):
    POLICE = "police", _("公安")
    CIVIL_AFFAIRS = "civil_affairs", _("民政")
    PROTECTION_CENTRE = "protection_centre", _("未成年人救助保护机构")
    EDUCATION = "education", _("教育")
    HEALTH = "health", _("卫健")
    HOSPITAL = "hospital", _("医院")
    LEGAL_AID = "legal_aid", _("法律援助")
    WOMEN_FEDERATION = "women_federation", _("妇联")


class ReferralAnswer(models.TextChoices):
    PENDING = "", _("待回复")
    ACCEPTED = "accepted", _("已接收")
    DONE = "done", _("已办结")
    DECLINED = "declined", _("不予受理")


class InterventionKind(models.TextChoices):
    ADMONISH = "admonish", _("训诫")
    RE_ENTRUST = "re_entrust", _("重新委托监护")
    TEMPORARY_CUSTODY = "temporary_custody", _("临时监护")
    REVOKE = "revoke", _("申请撤销监护人资格")


class ServiceKind(models.TextChoices):
    COUNSELLING = "counselling", _("心理疏导")
    FREE_CLINIC = "free_clinic", _("义诊")
    HEALTH_CHECK = "health_check", _("体检")
    CANCER_SCREENING = "cancer_screening", _("两癌筛查")
    SKILLS_TRAINING = "skills_training", _("技能培训")
    ENTREPRENEURSHIP = "entrepreneurship", _("创业帮扶")
    LEGAL_AID = "legal_aid", _("法律援助")
    SCHOOL_AID = "school_aid", _("助学")
    DAY_CARE = "day_care", _("日间照料")
    OTHER = "other", _("其他服务")


class AidKind(models.TextChoices):
    CASH = "cash", _("慰问金")
    GOODS = "goods", _("慰问品")


class Fund(models.TextChoices):
    FISCAL = "fiscal", _("财政专项资金")
    LOTTERY = "lottery", _("福利彩票公益金")
    WOMEN_FEDERATION = "women_federation", _("妇联")
    CHARITY = "charity", _("慈善会")
    DONATION = "donation", _("社会捐赠")
    UNIT = "unit", _("单位自筹")
    OTHER = "other", _("其他")


class StationKind(models.TextChoices):
    CHILDREN_HOME = "children_home", _("留守儿童之家")
    CARING_HOME = "caring_home", _("爱心家园")
    WOMEN_HOME = "women_home", _("妇女之家")
    ELDERLY_CENTRE = "elderly_centre", _("老年活动中心")
    AFTER_SCHOOL = "after_school", _("四点半课堂")
    CHILDREN_SERVICE = "children_service", _("儿童之家")


# The 八有 standard of a care station: field name → label, in the standard's order.
EIGHT_HAVES = {
    "has_sign": _("有标识牌"),
    "has_venue": _("有固定场所"),
    "has_equipment": _("有活动设施"),
    "has_staff": _("有管理人员"),
    "has_files": _("有儿童档案"),
    "has_plan": _("有活动计划"),
    "has_ledger": _("有活动台账"),
    "has_funding": _("有经费保障"),
}


class ActivityKind(models.TextChoices):
    STUDY = "study", _("课业辅导")
    CULTURE = "culture", _("文体活动")
    SAFETY = "safety", _("安全教育")
    FAMILY = "family", _("亲情活动")
    HEALTH = "health", _("健康讲座")
    FESTIVAL = "festival", _("节日慰问")
    TRAINING = "training", _("培训")
    OTHER = "other", _("其他")
