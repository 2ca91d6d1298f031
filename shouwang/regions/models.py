from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.core.scoping import PREFIX_LENGTHS, ScopedQuerySet


class Level(models.IntegerChoices):
    PROVINCE = 1, _("省")
    CITY = 2, _("市")
    COUNTY = 3, _("县")
    TOWNSHIP = 4, _("乡镇")
    VILLAGE = 5, _("村")


class Area(models.Model):
    """An administrative area keyed by its 12-digit statistical code (2+2+2+3+3).

    Invariants: `code` is 12 digits; the digits after the level's prefix are zero;
    `parent` is the area one level up and `code` starts with the parent's prefix.
    The code is the primary key, so any foreign key to an area stores the code and
    scoping can filter that column by range without a join. A boundary adjustment
    (区划调整) creates a new area; the old one stays for history.
    """

    scope_field = "code"

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("级别"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="area_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        """The significant digits of the code (2, 4, 6, 9 or 12 of them)."""
        return self.code[: PREFIX_LENGTHS[self.level]]

    def ancestor_codes(self) -> list[str]:
        """Codes of the areas above this one, province first, read off the code itself."""
        return [self.code[: PREFIX_LENGTHS[level]].ljust(12, "0") for level in range(1, self.level)]

    def ancestors(self) -> list[Area]:
        """The areas above this one, province first, in one query."""
        return list(Area.objects.filter(code__in=self.ancestor_codes()).order_by("level"))

    def full_name(self) -> str:
        return "".join(a.name for a in [*self.ancestors(), self])
