from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shouwang.regions.selectors import area_summary


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's name, role and scope, and what their scope holds."""
    user = request.user
    scope = user.scope_area
    context = {
        "scope": scope,
        "scope_path": scope.ancestors() + [scope] if scope else [],
        "summary": area_summary(user=user, area=scope) if scope else None,
    }
    return render(request, "core/home.html", context)
