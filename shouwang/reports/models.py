"""The figures of a report as they stood on a day, so that a report for a past
day does not change when files change later."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FigureSnapshot(models.Model):
    """The quarterly report's figures of an area (a county, or a township) as of
    the end of `as_of` (`reports.figures.area_figures`), taken once — by the
    nightly job for the day just ended, or when a report for a past day without
    one is first asked for — and never changed afterwards: the report for that day
    reads it. At most one per area and day."""

    class Source(models.TextChoices):
        NIGHTLY = "nightly", _("夜间定时")
        ON_DEMAND = "on_demand", _("首次查询时")

    area = models.ForeignKey(
        "regions.Area", verbose_name=_("地区"), on_delete=models.PROTECT, related_name="+"
    )
    as_of = models.DateField(_("统计日期"))
    figures = models.JSONField(_("数据"))
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    taken_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("报表数据快照")
        verbose_name_plural = _("报表数据快照")
        constraints = [
            models.UniqueConstraint(fields=["area", "as_of"], name="one_snapshot_per_area_and_day")
        ]

    def __str__(self) -> str:
        return f"{self.area_id} · {self.as_of}"
