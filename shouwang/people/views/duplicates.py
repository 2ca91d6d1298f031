"""Files that may describe the same person: the review queue, a pair side by side,
and the decision (keep one and merge the other into it, or not the same person)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouwang.people.models import DuplicateCandidate, Person
from shouwang.people.services import duplicates

PAGE_SIZE = 50
DECISIONS = ("keep_a", "keep_b", "dismiss")


def _scoped_candidate(request: HttpRequest, pk: int) -> DuplicateCandidate:
    return get_object_or_404(
        DuplicateCandidate.objects.visible_to(request.user).select_related(
            "person_a__village", "person_b__village", "decided_by"
        ),
        pk=pk,
    )


@login_required
@permission_required("people.view_duplicatecandidate", raise_exception=True)
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """Pending pairs with both files in scope, the likeliest first."""
    candidates = (
        DuplicateCandidate.objects.visible_to(request.user)
        .filter(status=DuplicateCandidate.Status.PENDING)
        .select_related("person_a__village", "person_b__village")
        .order_by("-score", "pk")
    )
    page = Paginator(candidates, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "people/duplicates.html", {"page": page})


@login_required
@permission_required("people.view_duplicatecandidate", raise_exception=True)
def duplicate_compare(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _scoped_candidate(request, pk)
    counts = {
        p["pk"]: p
        for p in Person.objects.visible_to(request.user)
        .filter(pk__in=(candidate.person_a_id, candidate.person_b_id))
        .annotate(
            n_relations=Count("relations", distinct=True),
            n_enrollments=Count("enrollments", distinct=True),
        )
        .values("pk", "n_relations", "n_enrollments")
    }
    a, b = candidate.person_a, candidate.person_b
    return render(
        request,
        "people/duplicate_compare.html",
        {
            "candidate": candidate,
            "a": a,
            "b": b,
            "rows": _compare_rows(a, b, counts),
        },
    )


def _compare_rows(a: Person, b: Person, counts: dict) -> list[tuple[str, str, str, bool, str]]:
    """(label, value of A, value of B, differ, mask) for the side-by-side table.
    Values are compared in full; the template masks ID numbers and phones
    (mask "id" / "phone"): the reviewer compares, no reveal is needed."""

    def facts(p: Person) -> list[str]:
        return [
            p.name,
            p.get_sex_display(),
            p.birth_date.strftime("%Y-%m-%d"),
            p.ethnicity,
            p.id_number,
            p.phone,
            p.village.name,
            p.address,
            p.get_health_display(),
            " ".join(x for x in (p.get_schooling_display(), p.school, p.grade) if x),
            p.get_status_display(),
            str(counts.get(p.pk, {}).get("n_relations", 0)),
            str(counts.get(p.pk, {}).get("n_enrollments", 0)),
            p.created_at.strftime("%Y-%m-%d"),
        ]

    labels = [
        _("姓名"), _("性别"), _("出生日期"), _("民族"), _("身份证号码"), _("联系电话"),
        _("村（社区）"), _("现住址"), _("健康状况"), _("就学"), _("档案状态"),
        _("家庭成员"), _("项目纳入"), _("建档日期"),
    ]  # fmt: skip
    masks = {4: "id", 5: "phone"}
    return [
        (label, va, vb, va != vb, masks.get(i, ""))
        for i, (label, va, vb) in enumerate(zip(labels, facts(a), facts(b), strict=True))
    ]


@login_required
@permission_required("people.change_duplicatecandidate", raise_exception=True)
@require_POST
def duplicate_decide(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _scoped_candidate(request, pk)
    decision = request.POST.get("decision", "")
    if decision not in DECISIONS:
        raise Http404
    try:
        if decision == "dismiss":
            duplicates.duplicate_dismiss(user=request.user, candidate=candidate)
            messages.success(request, _("已标记为不是同一人，以后不再提示这一对"))
        else:
            keep = candidate.person_a if decision == "keep_a" else candidate.person_b
            duplicates.person_merge(user=request.user, candidate=candidate, keep=keep)
            messages.success(
                request, _("已合并，保留 %(name)s 的档案（编号 %(pk)s）") % {"name": keep.name,
                                                                          "pk": keep.pk}
            )  # fmt: skip
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("people:duplicate_compare", pk=candidate.pk)
    return redirect("people:duplicates")
