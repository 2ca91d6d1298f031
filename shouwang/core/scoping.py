"""The one scoping method: `Model.objects.visible_to(user)`.

Every page, export, count and API endpoint that reads domain records starts from
`visible_to(user)`. It is default-deny: an anonymous or inactive user, a user
without the model's view permission, or a staff user without a scope area gets
no rows. A staff user sees rows whose 12-digit area code lies inside their scope
area, expressed as a code *range* so that the index on the code column is used
on both SQLite and PostgreSQL (`startswith` becomes an unindexed LIKE on SQLite).
"""

from __future__ import annotations

from django.db import models

CODE_LENGTH = 12
# Significant digits of a code at each level (province, city, county, township, village).
PREFIX_LENGTHS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}


def code_range(prefix: str) -> tuple[str, str]:
    """All 12-digit codes beginning with `prefix`, as an inclusive (low, high) range."""
    return prefix.ljust(CODE_LENGTH, "0"), prefix.ljust(CODE_LENGTH, "9")


def scope_prefix(user) -> str | None:
    """The code prefix of the user's scope area, or None when the user has no scope."""
    area = getattr(user, "scope_area", None)
    if area is None:
        return None
    return area.code[: PREFIX_LENGTHS[area.level]]


class ScopedQuerySet(models.QuerySet):
    """QuerySet for models that belong to an area.

    A model using it names the column holding its 12-digit area code in
    `scope_field` (default "area_code"). Models that volunteers may see define
    `visible_to_volunteer(queryset, user)`; for a volunteer that hook alone
    decides, and a model without it shows a volunteer nothing.
    """

    def visible_to(self, user) -> ScopedQuerySet:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if getattr(user, "is_volunteer", False):
            # A volunteer's rows are defined by the model's hook alone (the people
            # paired with them, their own contacts); pages check their own permissions.
            hook = getattr(self.model, "visible_to_volunteer", None)
            return hook(self, user) if hook else self.none()
        opts = self.model._meta
        if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            return self.none()
        prefix = scope_prefix(user)
        if prefix is None:
            return self.none()
        return self.in_area_prefix(prefix)

    def in_area_prefix(self, prefix: str) -> ScopedQuerySet:
        field = getattr(self.model, "scope_field", "area_code")
        low, high = code_range(prefix)
        return self.filter(**{f"{field}__gte": low, f"{field}__lte": high})
