"""A test-only URL that writes through a real request (no UI writes exist yet)."""

from django.http import HttpResponse
from django.urls import include, path

from shouwang.regions.models import Area, Level
from shouwang.regions.services import AreaRow, areas_upsert


def rename_area(request, code):
    area = Area.objects.get(code=code)
    area.name = request.POST["name"]
    area.save()
    return HttpResponse("ok")


def add_villages(request):
    rows = [
        AreaRow(f"350724101{n}", f"新{n}村", Level.VILLAGE, "350724101000", "t", 0)
        for n in request.POST.getlist("n")
    ]
    areas_upsert(rows=rows, source="test request")
    return HttpResponse("ok")


urlpatterns = [
    path("test-add-villages/", add_villages),
    path("test-rename/<str:code>/", rename_area),
    path("", include("shouwang.urls")),
]
