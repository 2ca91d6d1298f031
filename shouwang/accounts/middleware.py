import time

from django.conf import settings


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
