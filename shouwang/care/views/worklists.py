"""TODO(care build): placeholder until this module is written."""

from django.http import Http404


def my_worklist(request, *args, **kwargs):
    raise Http404


def overdue_list(request, *args, **kwargs):
    raise Http404
