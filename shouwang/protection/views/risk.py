"""Risk grading pages. (Being written.)"""

from django.http import Http404


def assessment_create(request, person_pk):
    raise Http404


def assessment_detail(request, pk):
    raise Http404


def reassessment_list(request):
    raise Http404


def scale_settings(request):
    raise Http404


def person_timeline(request, person_pk):
    raise Http404
