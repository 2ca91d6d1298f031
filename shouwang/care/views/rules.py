"""TODO(care build): placeholder until this module is written."""

from django.http import Http404


def rule_list(request, *args, **kwargs):
    raise Http404


def rules_customise(request, *args, **kwargs):
    raise Http404


def rule_edit(request, *args, **kwargs):
    raise Http404


def rule_delete(request, *args, **kwargs):
    raise Http404
