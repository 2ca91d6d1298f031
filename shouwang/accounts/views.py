import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from shouwang.accounts import services
from shouwang.accounts.forms import CodeForm, PasswordChangeForm, RoleForm
from shouwang.accounts.models import LoginEvent, User
from shouwang.accounts.roles import Role
from shouwang.core.forms import form_errors_from
from shouwang.core.locking import stale_status


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


def _next_url(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return reverse(settings.LOGIN_REDIRECT_URL)


# The login steps hide the menu: nothing in it opens before they are done.
_STEP = {"nav_items": []}


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Second login step: a code from the authenticator app, or a backup code.
    Wrong codes count with wrong passwords towards the lockout (axes), and each
    device makes the next try wait 1, 2, 4 … seconds."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not services.otp_has_device(user):
        request.session.pop(services.OTP_PENDING, None)
        return redirect("accounts:otp_enrol" if user.two_factor_required else _next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.otp_check(user=user, code=form.cleaned_data["code"])
        except services.OtpThrottled as wait:
            form.add_error("code", _("错误次数较多，请 %(n)d 秒后再试。") % {"n": wait.seconds})
        else:
            if device is not None:
                otp_login(request, device)
                request.session.pop(services.OTP_PENDING, None)
                backup = device.persistent_id.startswith("otp_static.")
                services.login_event_record(
                    request=request,
                    kind=LoginEvent.Kind.BACKUP_CODE_OK if backup else LoginEvent.Kind.OTP_OK,
                    user=user,
                )
                from axes.utils import reset

                reset(username=user.username)
                return redirect(_next_url(request))
            services.login_event_record(request=request, kind=LoginEvent.Kind.OTP_FAILED, user=user)
            credentials = {"username": user.username, "otp_step": True}
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                logout(request)
                return locked_out(request)
            form.add_error("code", _("验证码不正确。"))
    return render(
        request,
        "accounts/otp_verify.html",
        _STEP | {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
    )


def _qr_svg(text: str) -> str:
    """The QR code of `text` as inline SVG (no script, no image request)."""
    return mark_safe(segno.make(text, error="m").svg_inline(scale=5, dark="#111", light="#fff"))  # noqa: S308


@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: scan the QR code (or type the secret), confirm
    with a code, then see the ten backup codes once."""
    user = request.user
    if services.otp_has_device(user) and not user.is_verified():
        # Enrolled in another session: this one gives a code like any login.
        request.session[services.OTP_PENDING] = True
        return redirect("accounts:otp_verify")
    device = services.otp_enrolment_start(user=user)
    form = CodeForm(request.POST or None)
    wait = services.otp_throttled_seconds(device) if request.method == "POST" else 0
    if wait and form.is_valid():
        form.add_error("code", _("错误次数较多，请 %(n)d 秒后再试。") % {"n": wait})
    elif request.method == "POST" and form.is_valid():
        codes = services.otp_enrolment_confirm(
            user=user, device=device, code=form.cleaned_data["code"]
        )
        if codes is not None:
            device.refresh_from_db()
            otp_login(request, device)
            request.session.pop(services.OTP_PENDING, None)
            services.login_event_record(
                request=request, kind=LoginEvent.Kind.OTP_ENROLLED, user=user
            )
            return render(
                request,
                "accounts/otp_backup_codes.html",
                {"codes": codes, "next": _next_url(request), "enrolled": True},
            )
        form.add_error("code", _("验证码不正确，请确认手机时间准确后重试。"))
    uri = device.config_url
    secret = services.totp_secret(device)
    context = {
        "form": form,
        "qr": _qr_svg(uri),
        "uri": uri,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "required": user.two_factor_required,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    if not user.is_verified():
        context |= _STEP
    return render(request, "accounts/otp_enrol.html", context)


@login_required
@require_POST
def otp_backup_codes(request: HttpRequest) -> HttpResponse:
    """New backup codes for a verified user (the old ones stop working)."""
    if not request.user.is_verified():
        return redirect("accounts:security")
    codes = services.otp_backup_codes_renew(user=request.user)
    return render(
        request,
        "accounts/otp_backup_codes.html",
        {"codes": codes, "next": reverse("accounts:security"), "enrolled": False},
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password; an expired one is sent here before anything else."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("accounts:security")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["expired"] = self.request.user.password_expired
        context["max_age_days"] = settings.PASSWORD_MAX_AGE_DAYS
        if context["expired"]:
            context |= _STEP
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        services.login_event_record(
            request=self.request, kind=LoginEvent.Kind.PASSWORD_CHANGED, user=self.request.user
        )
        messages.success(self.request, _("密码已修改。"))
        return response


def _login_events(request: HttpRequest, user: User):
    events = LoginEvent.objects.filter(user=user).order_by("-at", "-pk")
    return Paginator(events, 50).get_page(request.GET.get("page"))


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """账号安全: one's second factor, password and own login history (登录记录)."""
    user = request.user
    backup = services.otp_backup_device(user)
    return render(
        request,
        "accounts/security.html",
        {
            "has_device": services.otp_has_device(user),
            "backup_left": backup.token_set.count() if backup else 0,
            "required": user.two_factor_required,
            "page": _login_events(request, user),
        },
    )


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


def _scoped_user(request: HttpRequest, pk: int) -> User:
    return get_object_or_404(User.objects.visible_to(request.user), pk=pk)


@login_required
@permission_required("accounts.change_user", raise_exception=True)
def user_logins(request: HttpRequest, user_pk: int) -> HttpResponse:
    """A user's login history, for the system administrator; a user outside the
    administrator's scope does not exist."""
    subject = _scoped_user(request, user_pk)
    return render(
        request,
        "accounts/user_logins.html",
        {
            "subject": subject,
            "has_device": services.otp_has_device(subject),
            "page": _login_events(request, subject),
        },
    )


@login_required
@permission_required("accounts.change_user", raise_exception=True)
@require_POST
def user_otp_reset(request: HttpRequest, user_pk: int) -> HttpResponse:
    """Remove a user's second factor (lost phone); they enrol again at next login."""
    subject = _scoped_user(request, user_pk)
    services.otp_reset(user=subject)
    messages.success(request, _("已重置 %(user)s 的两步验证。") % {"user": subject.display_name})
    return redirect("accounts:user_logins", user_pk=subject.pk)


@login_required
@permission_required("accounts.assign_role", raise_exception=True)
def user_role(request: HttpRequest, user_pk: int) -> HttpResponse:
    """Give a user a role and a scope area: the security administrator's page."""
    subject = _scoped_user(request, user_pk)
    initial = {"role": subject.role, "scope_area": subject.scope_area_id or ""}
    form = RoleForm(request.POST or None, subject=subject, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            subject = services.user_role_assign(
                actor=request.user,
                user=subject,
                role=Role(form.cleaned_data["role"]),
                scope_area=form.cleaned_data["scope_area"],
                version=form.version,
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
            status = stale_status(exc)
        else:
            messages.success(
                request,
                _("已将 %(user)s 设为%(role)s（%(area)s）。")
                % {
                    "user": subject.display_name,
                    "role": subject.get_role_display(),
                    "area": subject.scope_area.name,
                },
            )
            return redirect("accounts:users")
    return render(
        request, "accounts/user_role.html", {"subject": subject, "form": form}, status=status
    )
