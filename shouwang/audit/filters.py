import django_filters
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from shouwang.audit.models import AuditEntry
from shouwang.core.widgets import DateInput


def _registered_models():
    models = sorted(auditlog.get_models(), key=lambda m: str(m._meta.verbose_name))
    types = ContentType.objects.get_for_models(*models)
    return [(types[m].pk, m._meta.verbose_name) for m in models]


class AuditEntryFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(
        field_name="actor__username", lookup_expr="iexact", label=_("用户名")
    )
    model = django_filters.ChoiceFilter(
        field_name="content_type", choices=_registered_models, label=_("记录类型")
    )
    record = django_filters.CharFilter(method="filter_record", label=_("记录（编号或名称）"))
    action = django_filters.ChoiceFilter(choices=AuditEntry.Action.choices, label=_("操作"))
    date_from = django_filters.DateFilter(
        field_name="timestamp__date",
        lookup_expr="gte",
        label=_("起始日期"),
        widget=DateInput(),
    )
    date_to = django_filters.DateFilter(
        field_name="timestamp__date",
        lookup_expr="lte",
        label=_("截止日期"),
        widget=DateInput(),
    )

    class Meta:
        model = AuditEntry
        fields = []

    def filter_record(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(object_pk=value) | queryset.filter(object_repr__contains=value)
