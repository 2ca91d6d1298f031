from django.urls import path

from shouwang.reports import views

app_name = "reports"
urlpatterns = [path("quarterly/", views.quarterly, name="quarterly")]
