"""TODO(care build): placeholder until this module is written."""

from django.http import Http404


def my_people(request, *args, **kwargs):
    raise Http404


def person_care(request, *args, **kwargs):
    raise Http404
