from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "shouwang.api"
    label = "api"
