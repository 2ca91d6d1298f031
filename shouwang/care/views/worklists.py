"""我的待办 (what the user should do next) and 逾期名单 (what is overdue in an area)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.care import selectors
from shouwang.care.forms.contacts import OverdueFilterForm
from shouwang.core.scoping import PREFIX_LENGTHS, scope_prefix
from shouwang.people.models import Person

PAGE_SIZE = 50
# A township's worklist can hold hundreds of items; a phone shows the first ones
# of each section until the user asks for all of them.
SECTION_LIMIT = 100


@login_required
@permission_required("care.add_contact", raise_exception=True)
def my_worklist(request: HttpRequest) -> HttpResponse:
    """Overdue first (longest overdue first), then due today, this week, this period."""
    today = timezone.localdate()
    work = selectors.worklist(request.user, today=today)
    show_all = request.GET.get("all") == "1"
    sections = [
        {
            "key": key,
            "title": title,
            "items": items,
            "shown": items if show_all else items[:SECTION_LIMIT],
        }  # fmt: skip
        for key, title, items in (
            ("overdue", _("已逾期"), work.overdue),
            ("today", _("今天到期"), work.today),
            ("week", _("本周到期"), work.this_week),
            ("later", _("本期待办"), work.later),
        )
    ]
    return render(
        request,
        "care/worklist.html",
        {
            "sections": sections,
            "open_count": work.open_count,
            "today": today,
            "show_all": show_all,
            "truncated": any(len(s["shown"]) < len(s["items"]) for s in sections),
        },
    )


@login_required
@permission_required("care.resolve_concern", raise_exception=True)
def overdue_list(request: HttpRequest) -> HttpResponse:
    """Overdue obligations in the user's scope or one township or village of it, with
    a per-village summary above a township's list. Obligations are derived in a
    fixed number of queries whatever the number of people, then paged in Python."""
    filters = OverdueFilterForm(request.GET or None, user=request.user)
    area, sort = None, "overdue"
    if filters.is_valid():
        area = filters.areas.get(filters.cleaned_data["area"])
        sort = filters.cleaned_data["sort"] or "overdue"
    prefix = area.prefix if area else scope_prefix(request.user)
    people = Person.objects.visible_to(request.user)
    if prefix:
        people = people.in_area_prefix(prefix)
    overdue = selectors.overdue_for(people, sort=sort)
    is_village = prefix is not None and len(prefix) == PREFIX_LENGTHS[5]
    page = Paginator(overdue, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "care/overdue.html",
        {
            "filters": filters,
            "area": area,
            "area_code": area.code if area else "",
            "sort": sort,
            "by_village": [] if is_village else selectors.overdue_by_village(overdue),
            "people_count": len({o.person_id for o in overdue}),
            "page": page,
            "query_string": params.urlencode(),
        },
    )
