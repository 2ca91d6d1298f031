import time
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _


class IdleTimeoutMiddleware:
    """Sessions end SESSION_IDLE_MINUTES after the last request.

    Saving the session on every request (SESSION_SAVE_EVERY_REQUEST) would push
    the expiry forward exactly, but costs an UPDATE and a commit on every page.
    Touching the session at most once a minute keeps the timeout accurate to a
    minute for a fraction of the writes.
    """

    KEY = "_last_touch"

    @classmethod
    def on_login(cls, sender, request, user, **kwargs):
        """Logging in saves the session: count it as the first touch."""
        if getattr(request, "session", None) is not None:
            request.session[cls.KEY] = int(time.time())

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get("_auth_user_id"):
            now = int(time.time())
            if now - session.get(self.KEY, 0) >= settings.SESSION_TOUCH_SECONDS:
                session[self.KEY] = now  # marks the session modified: saved, expiry renewed
        return self.get_response(request)


class LoginStepsMiddleware:
    """What a logged-in user must do before anything else, in this order:

    1. give a second-factor code — when they have an authenticator app (the login
       marked the session OTP_PENDING) or their role requires one (then they enrol
       first if they have none);
    2. change an expired password (PASSWORD_MAX_AGE_DAYS).

    Until then every page but those steps and logout redirects to the step (an
    htmx request gets HX-Redirect, the API a 403). Needs OTPMiddleware before it.
    Costs no query on an ordinary request: the role, the flag and the password
    date are on the user and the session already loaded.
    """

    OPEN = {"accounts:logout", "set_language"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        step = self.pending_step(request)
        if step is not None:
            match = resolve_or_none(request.path_info)
            if match is None or match.view_name not in self.OPEN | {step}:
                return self.send_to(request, step)
        return self.get_response(request)

    @staticmethod
    def pending_step(request) -> str | None:
        from shouwang.accounts.services import OTP_PENDING

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not user.is_verified():
            if request.session.get(OTP_PENDING):
                return "accounts:otp_verify"
            if user.two_factor_required:
                return "accounts:otp_enrol"
        if user.password_expired:
            return "accounts:password_change"
        return None

    @staticmethod
    def send_to(request, step: str):
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": str(_("请先完成登录验证"))}, status=403)
        url = reverse(step)
        if request.method == "GET" and request.path_info != "/":
            url += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request") == "true":
            return HttpResponse(headers={"HX-Redirect": url})
        return HttpResponseRedirect(url)


def resolve_or_none(path: str):
    try:
        return resolve(path)
    except Resolver404:
        return None
