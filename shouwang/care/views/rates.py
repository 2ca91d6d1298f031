"""The care network's rates for an area and a month (月探访率, 六个一, 亲情通话,
结对覆盖率), with the same rates for each area one level down."""

import datetime as dt

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from shouwang.care.rates import RATES, Month, rates, rates_by_area
from shouwang.core.scoping import PREFIX_LENGTHS
from shouwang.people.models import Person
from shouwang.regions.models import Area


@login_required
@permission_required("regions.view_area", raise_exception=True)
def rate_page(request: HttpRequest) -> HttpResponse:
    """Aggregates only, so leaders see them too. The area is looked up through the
    user's scope; the people counted are those on file in that area."""
    scope = request.user.scope_area
    if scope is None:
        raise Http404
    code = request.GET.get("area") or scope.code
    area = get_object_or_404(Area.objects.visible_to(request.user), code=code)
    today = timezone.localdate()
    month = Month.parse(request.GET.get("month", "")) or Month.of(today)
    if month.first > today:
        month = Month.of(today)
    prefix = area.code[: PREFIX_LENGTHS[area.level]]
    people = Person.objects.in_area_prefix(prefix)
    if request.GET.get("panel"):  # the area page's panel: this month's figures only
        context = {"area": area, "month": month, "rates": rates(people, month, today)}
        return render(request, "care/partials/_rate_panel.html", context)
    rows = []
    if area.level < 5:
        digits = PREFIX_LENGTHS[area.level + 1]
        by_area = rates_by_area(people, month, digits=digits, today=today)
        children = Area.objects.filter(parent=area).order_by("code")
        rows = [
            (
                child,
                [
                    (label, by_area.get(child.code[:digits], {}).get(key))
                    for key, (label, *_definition) in RATES.items()
                ],
            )
            for child in children
        ]
    months = [Month.of(today)]
    for _i in range(11):
        months.append(Month.of(months[-1].first - dt.timedelta(days=1)))
    context = {
        "area": area,
        "month": month,
        "months": months,
        "rates": rates(people, month, today),
        "rows": rows,
    }
    return render(request, "care/rates.html", context)
