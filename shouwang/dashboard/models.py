"""The dashboard stores nothing: its figures are counted from the registry, the
care network and protection work (`indicators.py`). This model only holds its
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
