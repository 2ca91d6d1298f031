"""TODO(care build): placeholder until this module is written."""

from django.http import Http404


def volunteer_list(request, *args, **kwargs):
    raise Http404


def volunteer_create(request, *args, **kwargs):
    raise Http404


def volunteer_detail(request, *args, **kwargs):
    raise Http404


def volunteer_edit(request, *args, **kwargs):
    raise Http404


def volunteer_review(request, *args, **kwargs):
    raise Http404


def volunteer_withdraw(request, *args, **kwargs):
    raise Http404
