"""A volunteer's people (我的结对对象) and the care page of one person: the full page
a volunteer sees, or (`?panel=1`) the care panel of the staff person page."""

import dataclasses
from collections import defaultdict

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from shouwang.care import selectors
from shouwang.care.models import Contact, Pairing
from shouwang.care.obligations import State
from shouwang.people.models import Person

RECENT_CONTACTS = 10
OPEN = (State.OVERDUE, State.DUE)
# Encrypted or long columns of a person that a list of people never shows.
_UNLISTED = ("person__id_number", "person__phone", "person__head_teacher_phone", "person__notes")


def _mine(obligations: list[selectors.Obligation], user) -> list[selectors.Obligation]:
    """The obligations the user is one of the carers in, naming only them (a
    volunteer is not told who else looks after the person)."""
    return [
        dataclasses.replace(o, carers=tuple(cr for cr in o.carers if cr.user_id == user.pk))
        for o in obligations
        if any(cr.user_id == user.pk for cr in o.carers)
    ]


@login_required
@permission_required("care.view_pairing", raise_exception=True)
def my_people(request: HttpRequest) -> HttpResponse:
    """The people currently paired with the user, each with what is open for them."""
    pairings = list(
        Pairing.objects.visible_to(request.user)
        .active()
        .filter(volunteer__user=request.user)
        .select_related("person__village")
        .defer(
            *(f"person__{name}" for name in ("id_number", "phone", "head_teacher_phone", "notes"))
        )
        .order_by("person__name", "pk")
    )
    people = Person.objects.visible_to(request.user).filter(pk__in=[p.person_id for p in pairings])
    open_by_person = defaultdict(list)
    for o in _mine(selectors.obligations_for(people), request.user) if pairings else []:
        if o.state in OPEN:
            open_by_person[o.person_id].append(o)
    for pairing in pairings:
        pairing.open_obligations = selectors.sort_obligations(
            open_by_person[pairing.person_id], "overdue"
        )
    return render(request, "care/my_people.html", {"pairings": pairings})


@login_required
@permission_required("care.view_pairing", raise_exception=True)
def person_care(request: HttpRequest, person_pk: int) -> HttpResponse:
    people = Person.objects.visible_to(request.user)
    person = get_object_or_404(people.select_related("village"), pk=person_pk)
    obligations = selectors.obligations_for(people.filter(pk=person.pk))
    if request.user.is_volunteer:  # their own duties only, not other carers'
        obligations = _mine(obligations, request.user)
    # A volunteer sees only their own contacts (Contact's volunteer hook).
    contacts = (
        Contact.objects.visible_to(request.user)
        .filter(person=person)
        .select_related("volunteer", "recorded_by")
        .order_by("-date", "-id")[:RECENT_CONTACTS]
    )
    if request.GET.get("panel"):
        context = {
            "person": person,
            "pairings": Pairing.objects.visible_to(request.user)
            .filter(person=person)
            .select_related("volunteer")
            .order_by("-started_on", "-id"),
            "obligations": obligations,
            "contacts": contacts,
            "can_pair": request.user.has_perm("care.add_pairing"),
        }
        return render(request, "care/partials/_person_care.html", context)
    # The full page shows what a carer's work needs: no ID number, phones, health,
    # assistance or other people's notes.
    away = person.relations.filter(working_away=True).select_related(
        "relative", "work_province", "work_city"
    )
    return render(
        request,
        "care/person.html",
        {
            "person": person,
            "obligations": selectors.sort_obligations(obligations, "overdue"),
            "contacts": contacts,
            "away": away,
        },
    )
