from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "shouwang.regions"
    verbose_name = "行政区划"

    def ready(self):
        from auditlog.registry import auditlog

        from shouwang.regions.models import Area

        auditlog.register(Area)
