"""TODO(care build): placeholder until this module is written."""

from django.http import Http404


def rate_page(request, *args, **kwargs):
    raise Http404
