"""Services and aid (服务与慰问) pages. (Being written.)"""

from django.http import Http404


def service_create(request, person_pk):
    raise Http404


def aid_create(request, person_pk):
    raise Http404


def service_list(request):
    raise Http404


def aid_list(request):
    raise Http404
