"""Pages of protection work; helpers shared by its settings pages."""

from shouwang.regions.models import Area


def county_settings(user, change_permission: str) -> tuple[Area | None, bool]:
    """The county a user works in (whose settings the page shows) and whether they
    may change them: only an administrator of that county."""
    area = user.scope_area
    county = Area.objects.filter(pk=area.code[:6] + "000000").first() if area else None
    can_change = (
        county is not None
        and user.has_perm(change_permission)
        and Area.objects.visible_to(user).filter(pk=county.pk).exists()
    )
    return county, can_change
