from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shouwang.accounts.models import User


def _lockout_policy() -> dict[str, int]:
    return {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": round(settings.AXES_COOLOFF_TIME * 60),
    }


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | _lockout_policy()


def locked_out(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """django-axes calls this instead of the login view once a username is locked."""
    return render(request, "accounts/locked_out.html", _lockout_policy(), status=429)


@login_required
@permission_required("accounts.view_user", raise_exception=True)
def users(request: HttpRequest) -> HttpResponse:
    """The logins inside the viewer's scope, with role and scope area."""
    queryset = (
        User.objects.visible_to(request.user)
        .select_related("scope_area")
        .order_by("scope_area_id", "username")
    )
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/users.html", {"page": page})
