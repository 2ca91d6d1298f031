from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "shouwang.reports"
    verbose_name = "统计报表"
