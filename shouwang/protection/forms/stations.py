"""Forms of the station pages: a station and its 八有 checklist, an activity with
its participants, volunteers and the aid handed out, and the list filter. The
rules are the services' (`services.stations`); these forms read the input and
offer the choices inside the user's scope."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from shouwang.care.forms.volunteers import AreaChoiceField, area_filter_choices
from shouwang.care.models import Volunteer
from shouwang.core.forms import BoundedModelMultipleChoiceField
from shouwang.core.locking import VersionedForm
from shouwang.core.widgets import DateInput, FastSelect
from shouwang.people.models import Person
from shouwang.protection import choices as c
from shouwang.protection.forms.support import approved_volunteers
from shouwang.protection.models import Station
from shouwang.protection.services.stations import AidSpec
from shouwang.regions.models import Area, Level

_MONEY = {"inputmode": "decimal", "step": "0.01", "min": "0"}


class StationForm(VersionedForm, forms.Form):
    village = AreaChoiceField(label=_lazy("村（社区）"), queryset=Area.objects.none(),
                              widget=FastSelect)  # fmt: skip
    kind = forms.ChoiceField(label=_lazy("类别"), choices=c.StationKind.choices)
    name = forms.CharField(label=_lazy("名称"), max_length=100)
    address = forms.CharField(label=_lazy("地址"), max_length=200, required=False)
    manager = forms.CharField(label=_lazy("负责人"), max_length=50, required=False)
    opened_on = forms.DateField(label=_lazy("建成日期"), required=False, widget=DateInput())

    def __init__(self, *args, user, station: Station | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if station is None:
            del self.fields["version"]  # a registration edits nothing yet
        else:
            self.set_version(station)
        villages = Area.objects.visible_to(user).filter(level=Level.VILLAGE).order_by("code")
        self.fields["village"].queryset = villages
        self.fields["village"].empty_label = _("请选择")
        for name, label in c.EIGHT_HAVES.items():
            self.fields[name] = forms.BooleanField(label=label, required=False)
        if station is not None and not self.is_bound:
            self.initial.update(
                village=station.village_id, kind=station.kind, name=station.name,
                address=station.address, manager=station.manager, opened_on=station.opened_on,
                **{name: getattr(station, name) for name in c.EIGHT_HAVES},
            )  # fmt: skip
        elif not self.is_bound and villages.count() == 1:
            self.initial.setdefault("village", villages.get().pk)

    def have_fields(self):
        return [self[name] for name in c.EIGHT_HAVES]

    def data_for_save(self) -> dict:
        data = self.cleaned_data
        return {
            "village": data["village"],
            "kind": data["kind"],
            "name": data["name"],
            "address": data["address"],
            "manager": data["manager"],
            "opened_on": data["opened_on"],
            "haves": {name for name in c.EIGHT_HAVES if data.get(name)},
            **({"version": data["version"]} if "version" in data else {}),
        }


class StationFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_lazy("类别"), required=False, widget=FastSelect,
        choices=[("", _lazy("全部")), *c.StationKind.choices],
    )  # fmt: skip
    area = forms.ChoiceField(label=_lazy("地区"), required=False, widget=FastSelect)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = area_filter_choices(user)


class ActivityForm(forms.Form):
    """An activity at `station`. Participants and volunteers are offered from the
    station's township within the user's scope (checkboxes, by village); the
    service refuses anyone else with a message saying who."""

    date = forms.DateField(label=_lazy("活动日期"), widget=DateInput())
    kind = forms.ChoiceField(label=_lazy("活动类别"), choices=c.ActivityKind.choices)
    title = forms.CharField(label=_lazy("活动名称"), max_length=100)
    description = forms.CharField(
        label=_lazy("活动内容"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    participants = BoundedModelMultipleChoiceField(
        label=_lazy("参加人员"), queryset=Person.objects.none(), required=False,
        widget=forms.MultipleHiddenInput,
        error_messages={"invalid_choice": _lazy("所选人员不在您的管辖范围内"),
                        "invalid_pk_value": _lazy("所选人员不在您的管辖范围内")},
    )  # fmt: skip
    volunteers = BoundedModelMultipleChoiceField(
        label=_lazy("参加志愿者"), queryset=Volunteer.objects.none(), required=False,
        widget=forms.MultipleHiddenInput,
        error_messages={"invalid_choice": _lazy("所选志愿者不在您的管辖范围内"),
                        "invalid_pk_value": _lazy("所选志愿者不在您的管辖范围内")},
    )  # fmt: skip
    aid_kind = forms.ChoiceField(
        label=_lazy("活动中发放慰问"), required=False,
        choices=[("", _lazy("不发放")), *c.AidKind.choices],
        help_text=_lazy("向每位参加人员发放同样的慰问金或慰问品"),
    )  # fmt: skip
    aid_amount = forms.DecimalField(
        label=_lazy("每人慰问金（元）"), required=False, max_digits=12, decimal_places=2,
        widget=forms.NumberInput(attrs=_MONEY),
    )  # fmt: skip
    aid_items = forms.CharField(label=_lazy("每人慰问品"), max_length=200, required=False)
    aid_value = forms.DecimalField(
        label=_lazy("每人慰问品折合金额（元）"), required=False, max_digits=12,
        decimal_places=2, widget=forms.NumberInput(attrs=_MONEY),
    )  # fmt: skip
    aid_giver = forms.CharField(label=_lazy("发放单位或人员"), max_length=100, required=False)
    aid_fund = forms.ChoiceField(
        label=_lazy("资金来源"), required=False, choices=[("", "—"), *c.Fund.choices]
    )

    def __init__(self, *args, station: Station, user, **kwargs):
        super().__init__(*args, **kwargs)
        township = station.village_id[:9]
        # What may be submitted (the service checks township and scope and says who is
        # wrong) and what is offered (the station's township).
        people = Person.objects.visible_to(user)
        self.fields["participants"].queryset = people
        self.fields["volunteers"].queryset = Volunteer.objects.visible_to(user)
        self.offered_people = list(
            people.active()
            .in_area_prefix(township)
            .select_related("village")
            .only("pk", "name", "sex", "birth_date", "village__code", "village__name")
            .order_by("village_id", "name_pinyin", "pk")
        )
        self.offered_volunteers = list(
            approved_volunteers(user)
            .in_area_prefix(station.village_id[:6])
            .select_related("area")
            .only("pk", "name", "kind", "area__code", "area__name")
            .order_by("area_id", "name", "pk")
        )
        self.station = station
        if not self.is_bound:
            self.initial.setdefault("date", timezone.localdate())

    def _chosen(self, name: str) -> set[str]:
        if self.is_bound:
            return set(self.data.getlist(name)) if hasattr(self.data, "getlist") else set()
        return {str(v) for v in self.initial.get(name, ())}

    def people_by_village(self) -> list[tuple[str, bool, list[tuple[Person, bool]]]]:
        """(village name, open?, [(person, checked)]) with the station's village first."""
        chosen = self._chosen("participants")
        groups: dict[str, list] = {}
        names: dict[str, str] = {}
        for person in self.offered_people:
            groups.setdefault(person.village_id, []).append((person, str(person.pk) in chosen))
            names[person.village_id] = person.village.name
        order = sorted(groups, key=lambda code: (code != self.station.village_id, code))
        return [
            (names[code], code == self.station.village_id or any(c for _p, c in groups[code]),
             groups[code])
            for code in order
        ]  # fmt: skip

    def volunteer_choices(self) -> list[tuple[Volunteer, bool]]:
        chosen = self._chosen("volunteers")
        return [(v, str(v.pk) in chosen) for v in self.offered_volunteers]

    def aid_spec(self) -> AidSpec | None:
        data = self.cleaned_data
        if not data.get("aid_kind"):
            return None
        return AidSpec(
            kind=data["aid_kind"], giver=data["aid_giver"], fund=data["aid_fund"],
            amount=data["aid_amount"], items=data["aid_items"], value=data["aid_value"],
        )  # fmt: skip
