"""TODO(care build): placeholder until this module is written."""

from django.http import Http404


def notification_list(request, *args, **kwargs):
    raise Http404


def notifications_read(request, *args, **kwargs):
    raise Http404
