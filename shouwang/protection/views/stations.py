"""Care stations and activities (关爱阵地与活动) pages. (Being written.)"""

from django.http import Http404


def station_list(request):
    raise Http404


def station_create(request):
    raise Http404


def station_detail(request, pk):
    raise Http404


def station_edit(request, pk):
    raise Http404


def activity_create(request, pk):
    raise Http404


def activity_detail(request, pk):
    raise Http404
