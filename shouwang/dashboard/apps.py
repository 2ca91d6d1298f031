from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "shouwang.dashboard"
    verbose_name = "统计概览"
