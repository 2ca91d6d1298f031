from django import template
from django.utils.translation import gettext as _

from shouwang.people.identity import mask_id_number, mask_phone

register = template.Library()


@register.filter
def masked_id(value: str) -> str:
    return mask_id_number(value) if value else ""


@register.filter
def masked_phone(value: str) -> str:
    return mask_phone(value) if value else ""


@register.filter
def age_label(age: int) -> str:
    return _("%(age)s 岁") % {"age": age}


@register.filter
def rule_params(params: dict) -> list[str]:
    """A rule's parameters as short Chinese phrases (年龄上限：未满16周岁 …)."""
    from shouwang.people.eligibility import DifficultyCategory, ParentsRule

    phrases = []
    for key, value in params.items():
        if key == "age_limit":
            phrases.append(_("未满%(n)s周岁") % {"n": value})
        elif key == "parents_rule":
            phrases.append(str(ParentsRule(value).label))
        elif key == "min_months_away":
            phrases.append(_("近12个月外出%(n)s个月以上") % {"n": value})
        elif key == "categories":
            labels = "、".join(str(DifficultyCategory(v).label) for v in value)
            phrases.append(_("困境类别：%(labels)s") % {"labels": labels})
        elif key == "min_age":
            phrases.append(_("年满%(n)s周岁") % {"n": value})
        elif key == "max_age":
            phrases.append(_("不超过%(n)s周岁") % {"n": value})
        elif key == "require_married":
            phrases.append(_("须已婚") if value else _("不要求已婚"))
    return phrases
