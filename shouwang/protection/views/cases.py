"""Case pages. (Being written.)"""

from django.http import Http404


def report_create(request):
    raise Http404


def report_filed(request, pk):
    raise Http404


def case_list(request):
    raise Http404


def case_detail(request, pk):
    raise Http404


def case_transition(request, pk):
    raise Http404


def case_assign(request, pk):
    raise Http404


def case_note_add(request, pk):
    raise Http404


def referral_add(request, pk):
    raise Http404


def referral_answer(request, pk, referral_pk):
    raise Http404


def intervention_add(request, pk):
    raise Http404


def deadline_settings(request):
    raise Http404
