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
