from django.urls import path

from shouwang.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("evaluation/", views.evaluation, name="evaluation"),
]
