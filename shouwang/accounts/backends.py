from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class ScopedModelBackend(ModelBackend):
    """Django's backend, loading the user's scope area with the user (every scoped
    query needs it). Permissions come from the role's group only: Shouwang never
    grants permissions to a single user, so that lookup (one query on every
    request) is skipped."""

    def _get_user_permissions(self, user_obj):
        return Permission.objects.none()

    def get_user(self, user_id):
        user = get_user_model().objects.select_related("scope_area").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
