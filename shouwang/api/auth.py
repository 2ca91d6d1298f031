from ninja.security import HttpBearer, django_auth

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


# Token first (scripts, other systems), then the browser session (CSRF-checked).
API_AUTH = [TokenAuth(), django_auth]
