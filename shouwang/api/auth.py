from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from shouwang.accounts.services import api_token_user
from shouwang.audit.context import attribute_to


class TokenAuth(HttpBearer):
    """`Authorization: Bearer sw_…` — a token from `shouwang users token`."""

    def authenticate(self, request, token):
        user = api_token_user(token)
        if user is None:
            return None
        request.user = user
        attribute_to(user)
        return user


class SessionAuth(NinjaSessionAuth):
    """The browser session, CSRF-checked. Without a logged-in user there is no
    session to forge: answer 401 like a bad token, not "CSRF check Failed"."""

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


# Token first (scripts, other systems), then the browser session (CSRF-checked).
API_AUTH = [TokenAuth(), SessionAuth()]
