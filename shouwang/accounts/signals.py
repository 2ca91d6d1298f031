"""Login history and the second-factor flag, from Django's and axes' login signals."""

from __future__ import annotations

from shouwang.accounts.models import LoginEvent, User
from shouwang.accounts.services import OTP_PENDING, login_event_record, otp_has_device


def on_logged_in(sender, request, user, **kwargs):
    """A right password. A user with an authenticator app gives a code next."""
    if request is None:
        return
    session = getattr(request, "session", None)
    if session is not None and otp_has_device(user):
        session[OTP_PENDING] = True
    login_event_record(request=request, kind=LoginEvent.Kind.PASSWORD_OK, user=user)


def _record_for(request, kind: LoginEvent.Kind, username) -> None:
    """A step of a login known only by the username typed (maybe nobody's)."""
    username = str(username or "")
    user = User.objects.filter(username=username).first() if username else None
    login_event_record(request=request, kind=kind, user=user, username=username)


def on_login_failed(sender, credentials, request=None, **kwargs):
    """A wrong password (wrong codes are recorded by the code step itself)."""
    if request is None or credentials.get("otp_step"):
        return
    _record_for(request, LoginEvent.Kind.PASSWORD_FAILED, credentials.get("username"))


def on_locked_out(sender, request, username, **kwargs):
    if request is not None:
        _record_for(request, LoginEvent.Kind.LOCKED_OUT, username)


def on_logged_out(sender, request, user, **kwargs):
    if request is None or user is None:
        return
    login_event_record(request=request, kind=LoginEvent.Kind.LOGOUT, user=user)
