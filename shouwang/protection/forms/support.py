"""Forms of the services and aid pages: recording a service or an aid for a person,
and the filters of the two lists. They only read the input and offer choices in
the user's scope; what makes a service or an aid valid is the service's
(`services.support`), so the page and the API refuse the same things."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from shouwang.care.choices import VolunteerStatus
from shouwang.care.forms.volunteers import area_filter_choices
from shouwang.care.models import Volunteer
from shouwang.core.forms import BoundedModelChoiceField
from shouwang.core.widgets import DateInput, FastSelect
from shouwang.people.models import Person, Relation
from shouwang.protection import choices as c

_MONEY = {"inputmode": "decimal", "step": "0.01", "min": "0"}


def _all(choices) -> list[tuple[str, str]]:
    return [("", _("全部")), *choices]


class VolunteerChoice(BoundedModelChoiceField):
    def label_from_instance(self, volunteer: Volunteer) -> str:
        return f"{volunteer.name}（{volunteer.get_kind_display()}）"


def approved_volunteers(user):
    return Volunteer.objects.visible_to(user).filter(status=VolunteerStatus.APPROVED)


class ServiceForm(forms.Form):
    kind = forms.ChoiceField(label=_lazy("服务类别"), choices=c.ServiceKind.choices)
    date = forms.DateField(label=_lazy("服务日期"), widget=DateInput())
    provider = forms.CharField(
        label=_lazy("服务提供方"), max_length=100,
        help_text=_lazy("提供服务的单位或人员，如乡镇卫生院、县妇联、社工站"),
    )  # fmt: skip
    volunteer = VolunteerChoice(
        label=_lazy("参与的志愿者"), queryset=Volunteer.objects.none(), required=False,
        empty_label=_lazy("（无）"),
    )  # fmt: skip
    fund = forms.ChoiceField(
        label=_lazy("资金来源"), choices=[("", _lazy("（无或不涉及）")), *c.Fund.choices],
        required=False,
    )  # fmt: skip
    notes = forms.CharField(
        label=_lazy("服务内容"), max_length=300, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = approved_volunteers(user).order_by("name", "pk")
        if not self.is_bound:
            self.initial.setdefault("date", timezone.localdate())


class RelationChoice(BoundedModelChoiceField):
    def label_from_instance(self, relation: Relation) -> str:
        place = " ".join(
            area.name for area in (relation.work_province, relation.work_city) if area is not None
        )
        label = f"{relation.get_kind_display()} {relation.display_name}"
        return f"{label}（{_('外出务工')} {place}）".replace(" ）", "）")


class AidForm(forms.Form):
    """Aid to `person` or to one of their relatives working away."""

    kind = forms.ChoiceField(
        label=_lazy("慰问类别"), choices=c.AidKind.choices, widget=forms.RadioSelect
    )
    date = forms.DateField(label=_lazy("发放日期"), widget=DateInput())
    amount = forms.DecimalField(
        label=_lazy("慰问金金额（元）"), required=False, max_digits=12, decimal_places=2,
        widget=forms.NumberInput(attrs=_MONEY), help_text=_lazy("慰问金填写"),
    )  # fmt: skip
    items = forms.CharField(
        label=_lazy("慰问品"), max_length=200, required=False,
        help_text=_lazy("慰问品填写物品和数量，如：大米 1 袋、食用油 1 桶"),
    )  # fmt: skip
    value = forms.DecimalField(
        label=_lazy("慰问品折合金额（元）"), required=False, max_digits=12, decimal_places=2,
        widget=forms.NumberInput(attrs=_MONEY),
    )  # fmt: skip
    giver = forms.CharField(label=_lazy("发放单位或人员"), max_length=100)
    fund = forms.ChoiceField(label=_lazy("资金来源"), choices=c.Fund.choices)
    relation = RelationChoice(
        label=_lazy("发给外出务工的亲属"), queryset=Relation.objects.none(), required=False,
        empty_label=_lazy("（发给本人）"),
        help_text=_lazy("慰问在外务工的家长或亲属时选择；仍计入本人名下"),
    )  # fmt: skip

    def __init__(self, *args, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        away = (
            Relation.objects.filter(person=person, working_away=True)
            .select_related("relative", "work_province", "work_city")
            .defer("id_number", "phone", "relative__id_number", "relative__phone")
            .order_by("kind", "pk")
        )
        self.fields["relation"].queryset = away
        if not self.is_bound:
            self.initial.setdefault("date", timezone.localdate())
            self.initial.setdefault("kind", c.AidKind.CASH)


class SupportFilterForm(forms.Form):
    """Date range, kind, fund and area (a township or village in scope) of a list."""

    start = forms.DateField(label=_lazy("起始日期"), required=False, widget=DateInput())
    end = forms.DateField(label=_lazy("截止日期"), required=False, widget=DateInput())
    kind = forms.ChoiceField(label=_lazy("类别"), required=False, widget=FastSelect)
    fund = forms.ChoiceField(
        label=_lazy("资金来源"), required=False, widget=FastSelect,
        choices=[("", _lazy("全部")), *c.Fund.choices],
    )  # fmt: skip
    area = forms.ChoiceField(label=_lazy("地区"), required=False, widget=FastSelect)

    kinds = c.ServiceKind

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = _all(self.kinds.choices)
        self.fields["area"].choices = area_filter_choices(user)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("截止日期不能早于起始日期"))
        return data

    def filters(self) -> dict:
        """The selector's keyword arguments (nothing when the form is invalid)."""
        if not self.is_valid():
            return {}
        return {name: self.cleaned_data[name] for name in ("start", "end", "kind", "fund", "area")}


class AidFilterForm(SupportFilterForm):
    kinds = c.AidKind
    by = forms.ChoiceField(
        label=_lazy("按地区汇总"), required=False, widget=FastSelect,
        choices=[("", _lazy("按下一级地区")), ("township", _lazy("按乡镇")),
                 ("village", _lazy("按村（社区）"))],
    )  # fmt: skip

    def level(self, user) -> str:
        """Totals by village when asked, or when the user (or the filter) is
        within one township; by township otherwise."""
        chosen = self.cleaned_data.get("by") if self.is_bound and self.is_valid() else ""
        if chosen:
            return chosen
        area = self.cleaned_data.get("area", "") if self.is_bound and self.is_valid() else ""
        scope = getattr(user, "scope_area", None)
        if len(area) >= 9 or (scope is not None and scope.level >= 4):
            return "village"
        return "township"
