"""TODO(care build): placeholder until this module is written."""

from django.http import Http404


def attention_list(request, *args, **kwargs):
    raise Http404


def concern_resolve(request, *args, **kwargs):
    raise Http404


def contact_create(request, *args, **kwargs):
    raise Http404
