from django.apps import AppConfig


class LedgersConfig(AppConfig):
    name = "shouwang.ledgers"
    verbose_name = "台账导入导出"

    def ready(self):
        from auditlog.registry import auditlog

        from shouwang.ledgers.models import ImportBatch

        # Who uploaded what, when, with which hash and counts; never the file.
        auditlog.register(ImportBatch, exclude_fields=["data", "done_rows", "total_rows"])
