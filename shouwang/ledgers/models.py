"""Import batches (导入批次): one uploaded ledger file, what checking it found, and
what committing it wrote."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.core.scoping import ScopedQuerySet


class ImportBatch(models.Model):
    """One uploaded ledger file: who, when, its SHA-256, the counts of the check
    (new, update, unchanged, error, duplicate rows) and of the commit.

    The file itself is kept (`data`) until the batch is committed or cancelled, so
    that a background worker can read it; committing re-reads the same bytes. The
    scope is the uploader's scope area at upload time.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        CHECKING = "checking", _("检查中")
        CHECKED = "checked", _("待确认")
        COMMITTING = "committing", _("导入中")
        COMMITTED = "committed", _("已导入")
        CANCELLED = "cancelled", _("已取消")
        FAILED = "failed", _("失败")

    class Mode(models.TextChoices):
        ALL = "all", _("全部无误才导入")
        VALID = "valid", _("只导入无误的行")

    scope_field = "scope_id"

    ledger = models.CharField(_("台账"), max_length=20)
    file_name = models.CharField(_("文件名"), max_length=200)
    file_hash = models.CharField(_("文件 SHA-256"), max_length=64, db_index=True)
    file_size = models.PositiveIntegerField(_("文件大小"))
    data = models.BinaryField(null=True, editable=False)
    scope = models.ForeignKey(
        "regions.Area", verbose_name=_("范围"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("确认导入人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    mode = models.CharField(_("导入方式"), max_length=8, choices=Mode.choices, blank=True)
    total_rows = models.PositiveIntegerField(_("数据行"), default=0)
    done_rows = models.PositiveIntegerField(_("已处理"), default=0)
    counts = models.JSONField(_("检查结果"), default=dict)
    written = models.JSONField(_("导入结果"), default=dict)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    cancel_requested = models.BooleanField(default=False)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def progress(self) -> int:
        """Per cent of the rows handled in the current step."""
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.done_rows / self.total_rows))

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.CHECKING, self.Status.COMMITTING)


class ImportIssue(models.Model):
    """A problem found in one cell or row of a batch: the row number as the
    spreadsheet shows it, the column's header (empty for the whole row) and a
    Chinese message."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="issues")
    row = models.PositiveIntegerField(_("行号"))
    column = models.CharField(_("列"), max_length=60, blank=True)
    message = models.CharField(_("问题"), max_length=300)

    class Meta:
        ordering = ["row", "id"]
        indexes = [models.Index(fields=["batch", "row"], name="import_issue_row")]

    def __str__(self) -> str:
        return f"{self.row} {self.column}: {self.message}"
