"""Forms of the volunteer and pairing pages: registration, review, withdrawal,
pairing and ending a pairing, and the list filters. The rules themselves live in
the services (`services.volunteers`, `services.pairings`); these forms only parse
what the browser sent and offer the choices inside the user's scope."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from shouwang.care import choices as c
from shouwang.care.models import Volunteer
from shouwang.core.locking import VersionedForm
from shouwang.core.widgets import DateInput, FastSelect
from shouwang.people.eligibility import Program
from shouwang.people.forms import clean_phone_field
from shouwang.people.identity import mask_phone
from shouwang.regions.models import Area, Level


def _all(choices) -> list[tuple[str, str]]:
    return [("", _("全部")), *choices]


def area_filter_choices(user) -> list[tuple[str, str]]:
    """Townships and villages in the user's scope, as code prefixes (村 indented)."""
    areas = Area.objects.visible_to(user).filter(level__gte=Level.TOWNSHIP).order_by("code")
    return _all((a.prefix, ("— " if a.level == Level.VILLAGE else "") + a.name) for a in areas)


def volunteer_areas(user) -> QuerySet[Area]:
    """Where `user` may register a volunteer: a township or village in their scope.
    The one definition for the form and the ledger import."""
    return Area.objects.visible_to(user).filter(level__in=(Level.TOWNSHIP, Level.VILLAGE))


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, area: Area) -> str:
        return ("— " if area.level == Level.VILLAGE else "") + area.name


class VolunteerForm(VersionedForm, forms.ModelForm):
    """Register or edit a volunteer. The phone is normalised here and stored
    encrypted by the model; on an edit an empty phone means "unchanged", and the
    hidden version is the one the edit was made on (optimistic locking)."""

    phone = forms.CharField(label=_lazy("联系电话"), required=False, max_length=30)
    area = AreaChoiceField(
        label=_lazy("所在地区"), queryset=Area.objects.none(), widget=FastSelect,
        help_text=_lazy("志愿者所在的村（社区）或乡镇"),
    )  # fmt: skip

    class Meta:
        model = Volunteer
        fields = ["name", "kind", "organisation", "organisation_name", "area", "capacity", "notes"]
        widgets = {"kind": FastSelect, "organisation": FastSelect}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["version"]  # a registration edits nothing yet
        self.fields["area"].queryset = volunteer_areas(user).order_by("code")
        self.fields["area"].empty_label = _("请选择")
        self.fields["capacity"].widget.attrs.update({"min": 1, "max": 30})
        if self.instance.pk and self.instance.phone:
            self.fields["phone"].widget.attrs["placeholder"] = _("%(masked)s（不修改请留空）") % {
                "masked": mask_phone(self.instance.phone)
            }

    def clean_phone(self) -> str:
        return clean_phone_field(self.cleaned_data["phone"])

    def data_for_save(self) -> dict:
        """The fields to save; the phone only when entered (or on registration)."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if self.cleaned_data.get("phone") or not self.instance.pk:
            data["phone"] = self.cleaned_data.get("phone", "")
        return data


class VolunteerFilterForm(forms.Form):
    q = forms.CharField(label=_lazy("姓名或电话"), required=False, max_length=40)
    status = forms.ChoiceField(label=_lazy("审查状态"), required=False, widget=FastSelect)
    kind = forms.ChoiceField(label=_lazy("类别"), required=False, widget=FastSelect)
    area = forms.ChoiceField(label=_lazy("地区"), required=False, widget=FastSelect)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _all(c.VolunteerStatus.choices)
        self.fields["kind"].choices = _all(c.CarerKind.choices)
        self.fields["area"].choices = area_filter_choices(user)


class ReviewForm(forms.Form):
    """开始审查, or the decision: 通过 / 驳回 with the record check, the situations
    of 未成年人保护法第二十二条 found, and the reason."""

    ACTIONS = ("start", "approve", "reject")

    action = forms.ChoiceField(
        choices=[(a, a) for a in ACTIONS], widget=forms.HiddenInput,
        error_messages={"required": _lazy("请选择审查操作"),
                        "invalid_choice": _lazy("请选择审查操作")},
    )  # fmt: skip
    record_checked = forms.BooleanField(label=_lazy("已查询违法犯罪记录"), required=False)
    disqualifications = forms.MultipleChoiceField(
        label=_lazy("存在《未成年人保护法》第二十二条规定的情形"), required=False,
        choices=c.Disqualification.choices, widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    reason = forms.CharField(
        label=_lazy("审查意见"), required=False, max_length=200,
        help_text=_lazy("驳回时必填"), widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_lazy("退出原因"), max_length=200,
        error_messages={"required": _lazy("请填写退出原因")},
    )  # fmt: skip


class VolunteerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, volunteer: Volunteer) -> str:
        return str(volunteer)


class PairingForm(forms.Form):
    """Pair a volunteer with a person. Any volunteer in scope is accepted here so
    that the service gives its own reason for a refusal (not approved, full); the
    list offers the approved ones, with the places they have left."""

    volunteer = VolunteerChoiceField(
        label=_lazy("志愿者"), queryset=Volunteer.objects.none(), widget=FastSelect,
        error_messages={"required": _lazy("请选择志愿者"),
                        "invalid_choice": _lazy("请选择管辖范围内的志愿者")},
    )  # fmt: skip
    kind = forms.ChoiceField(label=_lazy("结对类别"), required=False, widget=FastSelect)
    started_on = forms.DateField(
        label=_lazy("开始日期"), widget=DateInput(),
        error_messages={"required": _lazy("请填写开始日期"),
                        "invalid": _lazy("请填写有效的日期")},
    )  # fmt: skip

    def __init__(self, *args, volunteers, offered=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = volunteers
        self.fields["volunteer"].widget.choices = [("", _("请选择"))] + [
            (v.pk, _offer_label(v)) for v in offered
        ]
        self.fields["kind"].choices = [("", _("同志愿者类别"))] + list(c.CarerKind.choices)
        if not self.is_bound:
            self.initial["started_on"] = timezone.localdate()


def _offer_label(volunteer: Volunteer) -> str:
    if volunteer.remaining > 0:
        room = _("可再结对 %(n)s 人") % {"n": volunteer.remaining}
    else:
        room = _("已满")
    return f"{volunteer.name}（{volunteer.get_kind_display()}，{volunteer.area.name}，{room}）"


class PairingEndForm(forms.Form):
    ended_on = forms.DateField(
        label=_lazy("结束日期"), widget=DateInput(),
        help_text=_lazy("从这一天起不再结对"),
        error_messages={"required": _lazy("请填写结束日期"),
                        "invalid": _lazy("请填写有效的日期")},
    )  # fmt: skip
    reason = forms.ChoiceField(
        label=_lazy("结束原因"), choices=c.PairingEndReason.choices, widget=FastSelect,
        error_messages={"required": _lazy("请选择结束原因"),
                        "invalid_choice": _lazy("请选择结束原因")},
    )  # fmt: skip
    note = forms.CharField(label=_lazy("说明"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["ended_on"] = timezone.localdate()


class CoverageFilterForm(forms.Form):
    program = forms.ChoiceField(label=_lazy("项目"), required=False, widget=FastSelect)
    high_risk = forms.BooleanField(label=_lazy("高风险"), required=False)
    area = forms.ChoiceField(label=_lazy("地区"), required=False, widget=FastSelect)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = _all(Program.choices)
        self.fields["area"].choices = area_filter_choices(user)
