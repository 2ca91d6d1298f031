from __future__ import annotations

from django.db.models import Count, QuerySet

from shouwang.regions.models import Area, Level


def area_children(*, user, area: Area) -> QuerySet[Area]:
    """The visible children of `area`, each with the number of its own children."""
    return (
        Area.objects.visible_to(user)
        .filter(parent=area)
        .annotate(child_count=Count("children"))
        .order_by("code")
    )


def area_summary(*, user, area: Area) -> dict[str, int]:
    """How many visible areas of each level lie under `area` (one query)."""
    counts = dict(
        Area.objects.visible_to(user)
        .in_area_prefix(area.prefix)
        .filter(level__gt=area.level)
        .values_list("level")
        .annotate(n=Count("code"))
        .values_list("level", "n")
    )
    return {Level(level).label: n for level, n in sorted(counts.items())}
