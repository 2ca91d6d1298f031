"""The quarterly report's figures as of a day: from the day's snapshot when there
is one, else counted — and kept, once the day is over.

The rule ("as of"): the report for a day D is the figures as they stood at the
end of D. The nightly job (`tasks.snapshots_nightly`) keeps every county's and
township's figures of the day just ended; a report for a past day without a
snapshot is counted from the history the data holds and kept from then on, so it
does not change either. Today's figures are still moving: they are counted live
on every request and kept by the nightly job once the day ends.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from shouwang.care.selectors import counties_with_people
from shouwang.regions.models import Area, Level
from shouwang.reports.figures import FORMAT, area_figures
from shouwang.reports.models import FigureSnapshot

log = logging.getLogger(__name__)
REPORT_LEVELS = (Level.COUNTY, Level.TOWNSHIP)


def report_figures(area: Area, *, as_of: dt.date, today: dt.date | None = None) -> dict:
    """The figures of `area` as of `as_of`: the snapshot of that day, or counted
    (and kept when `as_of` is before today). Adds "snapshot": when the figures
    were kept, or None for live figures."""
    today = today or timezone.localdate()
    snapshot = FigureSnapshot.objects.filter(area=area, as_of=as_of).first()
    if snapshot is not None and snapshot.figures.get("format") == FORMAT:
        return {**snapshot.figures, "snapshot": snapshot.taken_at.isoformat(timespec="seconds")}
    if as_of >= today:
        return {**area_figures(area, as_of=as_of, today=today), "snapshot": None}
    snapshot = snapshot_take(area=area, as_of=as_of, source=FigureSnapshot.Source.ON_DEMAND)
    return {**snapshot.figures, "snapshot": snapshot.taken_at.isoformat(timespec="seconds")}


def snapshot_take(*, area: Area, as_of: dt.date, source: str) -> FigureSnapshot:
    """Keep the figures of `area` as of `as_of`, unless they are kept already (then
    the kept ones are returned unchanged; one of an older format is recounted)."""
    existing = FigureSnapshot.objects.filter(area=area, as_of=as_of).first()
    if existing is not None and existing.figures.get("format") == FORMAT:
        return existing
    figures = area_figures(area, as_of=as_of)
    if existing is not None:
        existing.figures, existing.source = figures, source
        existing.save(update_fields=["figures", "source"])
        return existing
    try:
        with transaction.atomic():
            return FigureSnapshot.objects.create(
                area=area, as_of=as_of, figures=figures, source=source
            )
    except IntegrityError:  # taken meanwhile by another request or the job
        return FigureSnapshot.objects.get(area=area, as_of=as_of)


def snapshots_nightly(*, today: dt.date | None = None) -> int:
    """Keep yesterday's figures of every county with people on file and of each of
    its townships; safe to re-run (what is kept stays). Returns how many areas."""
    today = today or timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    prefixes = counties_with_people()
    counties = Area.objects.filter(
        code__in=[prefix + "000000" for prefix in prefixes], level=Level.COUNTY
    )
    taken = 0
    for county in counties.order_by("code"):
        for area in [county, *Area.objects.filter(parent=county).order_by("code")]:
            try:
                snapshot_take(area=area, as_of=yesterday, source=FigureSnapshot.Source.NIGHTLY)
                taken += 1
            except Exception:  # one area's failure must not stop the others
                log.exception("snapshot of %s for %s failed", area.code, yesterday)
    return taken
