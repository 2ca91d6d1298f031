"""Password validators of the password policy (settings: PASSWORD_MIN_CLASSES)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _

CLASSES = (str.islower, str.isupper, str.isdigit)


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digit and other (symbol, space, a Chinese
    character …) the password contains."""
    found = {index for char in password for index, test in enumerate(CLASSES) if test(char)}
    symbol = any(not (c.islower() or c.isupper() or c.isdigit()) for c in password)
    return len(found) + symbol


class CharacterClassesValidator:
    """At least `min_classes` of the four classes: lower, upper, digit, symbol."""

    def __init__(self, min_classes: int = 3):
        if not 1 <= min_classes <= 4:
            raise ImproperlyConfigured("Setting PASSWORD_MIN_CLASSES must be between 1 and 4.")
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _("密码至少要包含小写字母、大写字母、数字、符号中的 %(n)d 类。") % {
            "n": self.min_classes
        }
