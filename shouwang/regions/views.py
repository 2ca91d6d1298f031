from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from shouwang.regions.models import Area
from shouwang.regions.selectors import area_children


@login_required
def index(request: HttpRequest) -> HttpResponse:
    scope = request.user.scope_area
    if scope is None or not Area.objects.visible_to(request.user).filter(pk=scope.pk).exists():
        raise Http404
    return redirect("regions:detail", code=scope.code)


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """An area and its children; a htmx request gets only the children's rows."""
    area = get_object_or_404(Area.objects.visible_to(request.user), code=code)
    query = request.GET.get("q", "").strip()
    children = area_children(user=request.user, area=area)
    if query:
        children = children.filter(name__contains=query)
    if request.htmx:
        return render(request, "regions/partials/_children.html", {"children": children})
    visible = set(
        Area.objects.visible_to(request.user)
        .filter(code__in=area.ancestor_codes())
        .values_list("code", flat=True)
    )
    crumbs = [(a, a.code in visible) for a in area.ancestors()]
    return render(
        request,
        "regions/detail.html",
        {"area": area, "children": children, "crumbs": crumbs, "query": query},
    )
