"""TODO(care build): placeholder until this module is written."""

from django.http import Http404


def pairing_create(request, *args, **kwargs):
    raise Http404


def pairing_end(request, *args, **kwargs):
    raise Http404


def coverage(request, *args, **kwargs):
    raise Http404
