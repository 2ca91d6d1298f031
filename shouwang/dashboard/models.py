"""The dashboard's figures are counted from the registry, the care network and
protection work (`indicators.py`). It keeps the counts of each area as stored
summaries (`AreaSummary`, maintained by `summaries.py`), and `Dashboard` holds its
permissions, because Django attaches permissions to a model."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dashboard(models.Model):
    """Not a table. `view_dashboard`: the dashboard of one's scope; staff without
    `people.view_person` (leaders) see its aggregates only, with no way to the
    people behind them. `view_case_counts`: the protection-case figures (counts
    by state and deadline breaches, never a case) — for those who oversee cases
    and for leaders."""

    class Meta:
        managed = False
        verbose_name = _("统计概览")
        default_permissions = ()
        permissions = [
            ("view_dashboard", _("查看统计概览")),
            ("view_case_counts", _("查看保护案件统计")),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class AreaSummary(models.Model):
    """The rows of one source of the indicators (`source`: demography, files, risk,
    rates, profile, overdue) for one area (`area`: its code prefix) on one day
    (`day`: the reference day, or today for overdue), grouped by the first
    `digits` of the village code: by the areas one level down, or as a whole
    (`digits == len(area)`). A cache, never the truth: `summaries.py` uses it only
    while the last change at, under or above the area (`audit.AreaChange`) is the
    one it was counted after (`token`), counts it again otherwise, and may delete
    it."""

    area = models.CharField(max_length=12)
    source = models.CharField(max_length=20)
    digits = models.PositiveSmallIntegerField()
    day = models.DateField()
    rows = models.JSONField(default=list)
    token = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["area", "source", "digits", "day"], name="area_summary_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.area}/{self.digits} {self.source} {self.day}"
