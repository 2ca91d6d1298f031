"""Code lists of the care network: who cares, how they are reviewed, what a
contact is, and which contacts fulfil which duty (one definition each)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CarerKind(models.TextChoices):
    """What a volunteer is to the people paired with them; a pairing has a kind too."""

    PROXY_PARENT = "proxy_parent", _("代理家长")
    CARING_MOTHER = "caring_mother", _("爱心妈妈")
    TEACHER = "teacher", _("教师")
    CADRE = "cadre", _("党员干部（挂包帮）")
    VILLAGE_CADRE = "village_cadre", _("村干部")
    FIVE_ELDERS = "five_elders", _("“五老”人员")
    SOCIAL_WORKER = "social_worker", _("社会工作者")
    VOLUNTEER = "volunteer", _("志愿者")


class Organisation(models.TextChoices):
    WOMEN_FEDERATION = "women_federation", _("妇联")
    YOUTH_LEAGUE = "youth_league", _("团委")
    SCHOOL = "school", _("学校")
    GUANGONG = "guangong", _("关工委")
    PARTY = "party", _("党组织")
    VILLAGE_COMMITTEE = "village_committee", _("村委")
    SOCIAL_ORGANISATION = "social_organisation", _("社会组织")
    OTHER = "other", _("其他")


class VolunteerStatus(models.TextChoices):
    """报名 → 审查 → 通过 / 驳回; an approved volunteer may later withdraw (退出)."""

    APPLIED = "applied", _("已报名")
    REVIEWING = "reviewing", _("审查中")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已退出")


class Disqualification(models.TextChoices):
    """未成年人保护法 第二十二条: people who may not be entrusted with a child's care."""

    HARM = "harm", _("曾实施性侵害、虐待、遗弃、拐卖、暴力伤害等违法犯罪行为")
    VICES = "vices", _("有吸毒、酗酒、赌博等恶习")
    NEGLECT = "neglect", _("曾拒不履行或者长期怠于履行监护、照护职责")
    OTHER = "other", _("其他不适宜担任被委托人的情形")


class PairingEndReason(models.TextChoices):
    PERSON_EXITED = "person_exited", _("结对对象退出关爱范围")
    PERSON_MOVED = "person_moved", _("结对对象迁出或死亡")
    VOLUNTEER_LEFT = "volunteer_left", _("志愿者退出或调离")
    REASSIGNED = "reassigned", _("调整结对")
    OTHER = "other", _("其他")


class ContactKind(models.TextChoices):
    HOME_VISIT = "home_visit", _("入户走访")
    PHONE = "phone", _("电话")
    VIDEO = "video", _("视频")
    TALK = "talk", _("谈心")
    HOMEWORK_CHECK = "homework_check", _("检查作业")
    TUTORING = "tutoring", _("作业辅导")
    FAMILY_MEAL = "family_meal", _("共进亲情餐")
    TEACHER_TALK = "teacher_talk", _("班主任沟通")
    HEALTH_CHECK = "health_check", _("健康检查")
    FAMILY_CALL = "family_call", _("亲情通话")


class Duty(models.TextChoices):
    """What an obligation asks for; `DUTY_KINDS` says which contacts fulfil it."""

    CONTACT = "contact", _("见面或通话")
    HOME_VISIT = "home_visit", _("入户走访")
    TEACHER_TALK = "teacher_talk", _("与班主任沟通")
    FAMILY_CALL = "family_call", _("与外出父母亲情通话")
    ELDERLY_VISIT = "elderly_visit", _("探访")


K = ContactKind
# The one definition of which contact kinds fulfil a duty. A visit to an elderly
# person (探访, also the numerator of 月探访率) is at home, by phone or video, or a
# health check (民政部等 2022: "visits at home plus phone or video").
DUTY_KINDS: dict[str, frozenset[str]] = {
    Duty.CONTACT: frozenset(
        {K.HOME_VISIT, K.PHONE, K.VIDEO, K.TALK, K.HOMEWORK_CHECK, K.TUTORING, K.FAMILY_MEAL}
    ),
    Duty.HOME_VISIT: frozenset({K.HOME_VISIT}),
    Duty.TEACHER_TALK: frozenset({K.TEACHER_TALK}),
    Duty.FAMILY_CALL: frozenset({K.FAMILY_CALL}),
    Duty.ELDERLY_VISIT: frozenset({K.HOME_VISIT, K.PHONE, K.VIDEO, K.HEALTH_CHECK}),
}
# "六个一" for a child with a 代理家长: in one month a talk, a homework check, a
# tutoring session, a home visit and a shared meal (the sixth, the monthly
# proxy-parent meeting at school, is not a contact with the child).
SIX_ONES: tuple[str, ...] = (K.TALK, K.HOMEWORK_CHECK, K.TUTORING, K.HOME_VISIT, K.FAMILY_MEAL)


# Each kind of contact as one bit, for `ContactMonth.kinds`.
KIND_BITS: dict[str, int] = {kind: 1 << i for i, kind in enumerate(ContactKind.values)}


def kind_bits(kinds) -> int:
    return sum(KIND_BITS[kind] for kind in set(kinds))


class Period(models.TextChoices):
    WEEK = "week", _("每周")
    HALF_MONTH = "half_month", _("每半月")
    MONTH = "month", _("每月")
    QUARTER = "quarter", _("每季度")


class NotificationKind(models.TextChoices):
    DUE = "due", _("即将到期")
    OVERDUE = "overdue", _("已逾期")
    ESCALATED = "escalated", _("逾期上报")
