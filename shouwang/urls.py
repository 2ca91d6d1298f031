from django.urls import include, path

from shouwang.api.api import api

urlpatterns = [
    path("", include("shouwang.core.urls")),
    path("accounts/", include("shouwang.accounts.urls")),
    path("areas/", include("shouwang.regions.urls")),
    path("people/", include("shouwang.people.urls")),
    path("care/", include("shouwang.care.urls")),
    path("protection/", include("shouwang.protection.urls")),
    path("audit/", include("shouwang.audit.urls")),
    path("ledgers/", include("shouwang.ledgers.urls")),
    path("dashboard/", include("shouwang.dashboard.urls")),
    path("reports/", include("shouwang.reports.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
