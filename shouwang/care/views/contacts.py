"""Logging a contact in two taps from the worklist, and the supervisor's
attention list (关注名单) of contacts flagged as a concern."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shouwang.audit.services import audit_access
from shouwang.care.forms.contacts import ContactForm
from shouwang.care.models import Contact
from shouwang.care.services import contacts
from shouwang.core.forms import form_errors_from
from shouwang.people.models import Person

PAGE_SIZE = 50
# Encrypted or long columns of a person that the attention list never shows.
_UNLISTED = ("person__id_number", "person__phone", "person__head_teacher_phone", "person__notes")


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""


@login_required
@permission_required("care.add_contact", raise_exception=True)
def contact_create(request: HttpRequest, person_pk: int) -> HttpResponse:
    """The quick log: tap 记录 on the worklist (kind and date prefilled), tap 保存."""
    people = Person.objects.visible_to(request.user).select_related("village")
    person = get_object_or_404(people, pk=person_pk)
    form = ContactForm(
        request.POST or None,
        person=person,
        user=request.user,
        initial_kind=request.GET.get("kind", ""),
        initial_volunteer=request.GET.get("volunteer", ""),
    )
    next_url = _safe_next(request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contact, created = contacts.contact_log(
                user=request.user,
                person=person,
                kind=data["kind"],
                date=data["date"],
                volunteer=data.get("volunteer"),
                duration_minutes=data["duration_minutes"],
                notes=data["notes"],
                parent=data["parent"],
                concern=data["concern"],
                client_key=data["client_key"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            if created:
                messages.success(
                    request,
                    _("已记录：%(name)s，%(kind)s") % {
                        "name": person.name, "kind": contact.get_kind_display()
                    },
                )  # fmt: skip
            else:
                messages.info(request, _("该记录已保存，未重复记录"))
            return redirect(next_url or "care:worklist")
    return render(
        request, "care/contact_form.html", {"form": form, "person": person, "next": next_url}
    )


@login_required
@permission_required("care.resolve_concern", raise_exception=True)
def attention_list(request: HttpRequest) -> HttpResponse:
    """Open concerns in scope, the longest waiting first. Notes are not listed: they
    open one at a time (contact_notes), and each reading is audited."""
    concerns = (
        Contact.objects.visible_to(request.user)
        .filter(concern=True, concern_resolved_at__isnull=True)
        .select_related("person__village", "volunteer", "recorded_by")
        .defer("notes", *_UNLISTED)
        .order_by("date", "id")
    )
    page = Paginator(concerns, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "care/attention.html", {"page": page, "query_string": ""})


@login_required
@permission_required("care.resolve_concern", raise_exception=True)
@require_POST
def concern_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(
        Contact.objects.visible_to(request.user).select_related("person"), pk=pk
    )
    try:
        contacts.concern_resolve(user=request.user, contact=contact)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已处理 %(name)s 的关注事项") % {"name": contact.person.name})
    return redirect("care:attention")


@login_required
@permission_required("care.view_contact", raise_exception=True)
@require_GET
def contact_notes(request: HttpRequest, pk: int) -> HttpResponse:
    """The notes of one contact (a htmx fragment); every reading is audited."""
    contact = get_object_or_404(Contact.objects.visible_to(request.user), pk=pk)
    audit_access(instance=contact, fields=["notes"])
    return render(request, "care/partials/_contact_notes.html", {"contact": contact})
