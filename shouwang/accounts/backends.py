from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class ScopedModelBackend(ModelBackend):
    """Django's backend, loading the user's scope area with the user: every scoped
    query needs it, so this saves a query on every request."""

    def get_user(self, user_id):
        user = get_user_model().objects.select_related("scope_area").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
