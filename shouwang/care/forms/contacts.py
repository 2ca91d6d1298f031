"""The quick contact log (记录联系) and the filter of the overdue list (逾期名单)."""

from __future__ import annotations

import re
import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from shouwang.care.choices import ContactKind, VolunteerStatus
from shouwang.care.models import Pairing, Volunteer
from shouwang.care.services.contacts import CONTACT_NOTES_MAX
from shouwang.core.widgets import DateInput, FastSelect
from shouwang.people.choices import PARENT_KINDS
from shouwang.people.models import Person, Relation
from shouwang.regions.models import Area, Level


class _ParentChoice(forms.ModelChoiceField):
    def label_from_instance(self, relation: Relation) -> str:
        label = f"{relation.get_kind_display()} {relation.display_name}"
        return f"{label}（{_('外出务工')}）" if relation.is_away else label


class _VolunteerChoice(forms.ModelChoiceField):
    def label_from_instance(self, volunteer: Volunteer) -> str:
        return f"{volunteer.name}（{volunteer.get_kind_display()}）"


class ContactForm(forms.Form):
    """One contact with `person`, every field prefilled so that saving is one tap.

    The checks of a contact (dates, pairing, the parent of a 亲情通话) are the
    service's; the form only reads the input. `client_key` is minted when the form
    is rendered, so a double tap or a resubmitted page logs once.
    """

    kind = forms.ChoiceField(label=_lazy("联系方式"), choices=ContactKind.choices)
    date = forms.DateField(label=_lazy("日期"), widget=DateInput())
    volunteer = _VolunteerChoice(
        label=_lazy("由哪位志愿者联系"),
        queryset=Volunteer.objects.none(),
        required=False,
        empty_label=_lazy("（本人联系）"),
        help_text=_lazy("志愿者上门或通话，由您代为记录时选择"),
    )
    parent = _ParentChoice(
        label=_lazy("通话的父母"),
        queryset=Relation.objects.none(),
        required=False,
        help_text=_lazy("仅亲情通话需要选择"),
    )
    duration_minutes = forms.IntegerField(
        label=_lazy("时长（分钟）"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": 1440}),
    )
    notes = forms.CharField(
        label=_lazy("情况记录"),
        required=False,
        max_length=CONTACT_NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    concern = forms.BooleanField(
        label=_lazy("需要关注（报乡镇督导员）"),
        required=False,
        help_text=_lazy("发现安全、健康或监护方面的问题时勾选"),
    )
    client_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, person: Person, user, initial_kind: str = "",
                 initial_volunteer: str = "", **kwargs):  # fmt: skip
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        parents = (
            Relation.objects.filter(person=person, kind__in=PARENT_KINDS)
            .select_related("relative")
            .order_by("kind", "pk")
        )
        self.fields["parent"].queryset = parents
        if user.is_volunteer:
            del self.fields["volunteer"]  # a volunteer always logs as themselves
        else:
            paired = Pairing.objects.active(today).filter(person=person).values("volunteer_id")
            carers = Volunteer.objects.filter(status=VolunteerStatus.APPROVED, pk__in=paired)
            self.fields["volunteer"].queryset = carers.order_by("name", "pk")
            if not carers.exists():
                del self.fields["volunteer"]  # nobody paired: the worker logs their own
        if self.is_bound:
            return
        kind = initial_kind if initial_kind in ContactKind.values else ContactKind.HOME_VISIT
        self.initial.setdefault("kind", kind)
        self.initial.setdefault("date", today)
        self.initial.setdefault("client_key", uuid.uuid4())
        offered = self.fields.get("volunteer")
        wanted = initial_volunteer if re.fullmatch(r"[0-9]{1,9}", initial_volunteer) else None
        if offered and wanted and offered.queryset.filter(pk=wanted).exists():
            self.initial.setdefault("volunteer", int(wanted))
        if kind == ContactKind.FAMILY_CALL:
            # The parent working away is the one a 亲情通话 is with.
            rows = list(parents)
            chosen = next((r for r in rows if r.is_away), rows[0] if rows else None)
            if chosen is not None:
                self.initial.setdefault("parent", chosen.pk)


SORT_CHOICES = (
    ("overdue", _lazy("逾期天数")),
    ("risk", _lazy("风险等级")),
    ("village", _lazy("村")),
)


class OverdueFilterForm(forms.Form):
    """The area (a township or village in the user's scope) and the order of 逾期名单."""

    area = forms.ChoiceField(label=_lazy("地区"), required=False, widget=FastSelect)
    sort = forms.ChoiceField(label=_lazy("排序"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        areas = Area.objects.visible_to(user).filter(level__gte=Level.TOWNSHIP).order_by("code")
        self.areas = {a.code: a for a in areas}
        self.fields["area"].choices = [("", _("全部"))] + [
            (a.code, ("— " if a.level == Level.VILLAGE else "") + a.name)
            for a in self.areas.values()
        ]
