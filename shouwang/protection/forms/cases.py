"""Forms of the protection workflow: the mandatory report, the next step of a
case, assignment, notes, referrals, interventions and deadlines. They read input;
the checks are the services' (shown at the field through `form_errors_from`)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _lazy

from shouwang.core.forms import BoundedModelChoiceField, BoundedModelMultipleChoiceField
from shouwang.core.locking import VersionedForm
from shouwang.core.widgets import DateInput, DateTimeInput
from shouwang.people.models import Person
from shouwang.protection import casework
from shouwang.protection import choices as c
from shouwang.protection.models import ProtectionCase
from shouwang.protection.services.cases import report_villages
from shouwang.regions.models import Area


class _PersonChoice(BoundedModelMultipleChoiceField):
    def label_from_instance(self, person: Person) -> str:
        return f"{person.name}（{person.get_sex_display()}，{person.age}岁）"


class ReportForm(forms.Form):
    """强制报告. `village` picks whose people can be named among those involved."""

    village = BoundedModelChoiceField(
        label=_lazy("发生地（村、社区）"), queryset=Area.objects.none(), empty_label=None
    )
    category = forms.ChoiceField(label=_lazy("报告情形"), choices=c.CaseCategory.choices)
    people = _PersonChoice(
        label=_lazy("涉及的在册人员"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    others_involved = forms.CharField(
        label=_lazy("未建档的涉及人员"),
        max_length=200,
        required=False,
        help_text=_lazy("如孩子尚未建档：姓名、性别、大致年龄"),
    )
    description = forms.CharField(
        label=_lazy("发现的情况"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    discovered_at = forms.DateTimeField(
        label=_lazy("发现时间"), widget=DateTimeInput(), required=False
    )
    discovered_place = forms.CharField(label=_lazy("发现地点"), max_length=200, required=False)
    immediate_action = forms.CharField(
        label=_lazy("已采取的措施"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_lazy("如：已将孩子送至祖父母家，已联系其父母"),
    )
    police_notified = forms.BooleanField(label=_lazy("已报警（110）"), required=False)
    police_notified_at = forms.DateTimeField(
        label=_lazy("报警时间"), widget=DateTimeInput(), required=False
    )
    channel = forms.ChoiceField(
        label=_lazy("报告来源"),
        choices=c.IntakeChannel.choices,
        initial=c.IntakeChannel.SYSTEM,
        help_text=_lazy("热线接线员代来电人填报时，请选择热线并填写来电人"),
    )
    reporter_name = forms.CharField(label=_lazy("报告人"), max_length=50, required=False)
    reporter_phone = forms.CharField(
        label=_lazy("报告人联系电话"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    reporter_org = forms.CharField(label=_lazy("报告人单位"), max_length=100, required=False)

    def __init__(self, *args, user, village: Area | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        villages = report_villages(user)
        self.fields["village"].queryset = villages
        chosen = village or (villages.first() if villages.count() == 1 else None)
        if self.is_bound:
            code = self.data.get("village", "")
            chosen = villages.filter(code=code).first() if code else chosen
        if chosen is not None:
            self.fields["village"].initial = chosen.code
            self.fields["people"].queryset = (
                Person.objects.visible_to(user)
                .active()
                .filter(village=chosen)
                .order_by("name_pinyin", "pk")
            )
        if len(villages) > 1 or chosen is None:
            self.fields["village"].empty_label = _lazy("请选择")
        self.chosen_village = chosen


class TransitionForm(VersionedForm, forms.Form):
    to_state = forms.ChoiceField(label=_lazy("下一步"), choices=())
    from_state = forms.CharField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(
        label=_lazy("说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_lazy("结案时填写结案意见；重新开启时说明理由"),
    )

    def __init__(self, *args, case: ProtectionCase, **kwargs):
        """Offers the legal next steps from the case's state. Bound to a submission
        it reads any state, so that an illegal step reaches the service and its
        message. Carries the state and version it was shown at."""
        super().__init__(*args, **kwargs)
        self.set_version(case)
        state = case.state
        legal = casework.TRANSITIONS.get(state, ())
        offered = c.CaseState.values if self.is_bound else legal
        self.fields["to_state"].choices = [(s, c.CaseState(s).label) for s in offered]
        self.fields["from_state"].initial = state


class AssignForm(VersionedForm, forms.Form):
    assignees = BoundedModelMultipleChoiceField(
        label=_lazy("承办人"), queryset=Person.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, case: ProtectionCase, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_version(case)
        self.fields["assignees"].queryset = users
        self.fields["assignees"].label_from_instance = lambda u: (
            f"{u.display_name}（{u.get_role_display()}）"
        )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_lazy("工作记录"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ReferralForm(forms.Form):
    agency = forms.ChoiceField(label=_lazy("转介单位"), choices=c.Agency.choices)
    referred_on = forms.DateField(label=_lazy("转介日期"), widget=DateInput())
    note = forms.CharField(label=_lazy("转介事项"), max_length=300, required=False)


class ReferralAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_lazy("回复结果"),
        choices=[(v, label) for v, label in c.ReferralAnswer.choices if v],
    )
    answered_on = forms.DateField(label=_lazy("回复日期"), widget=DateInput())
    answer_note = forms.CharField(label=_lazy("回复内容"), max_length=300, required=False)


class InterventionForm(forms.Form):
    kind = forms.ChoiceField(label=_lazy("干预措施"), choices=c.InterventionKind.choices)
    on = forms.DateField(label=_lazy("日期"), widget=DateInput())
    note = forms.CharField(label=_lazy("说明"), max_length=300, required=False)


class DeadlineForm(forms.Form):
    state = forms.ChoiceField(
        label=_lazy("环节"), choices=[(s, c.CaseState(s).label) for s in casework.OPEN_STATES]
    )
    hours = forms.IntegerField(label=_lazy("时限（小时）"), required=False)
    county_after_hours = forms.IntegerField(label=_lazy("超时后几小时上报县级"), required=False)
    # The version of the county's row of each state as the page showed them
    # ("reported:2 accepted:0", 0: none yet), since the state is chosen on the form.
    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, versions: dict[str, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen"].initial = " ".join(f"{s}:{v}" for s, v in (versions or {}).items())

    def clean_seen(self) -> dict[str, int]:
        pairs = (item.partition(":") for item in self.cleaned_data["seen"].split())
        return {s: int(v) for s, _sep, v in pairs if v.isdigit()}

    @property
    def version(self) -> int | None:
        """The version the chosen state's row was shown at (None: an old page)."""
        seen = self.cleaned_data["seen"]
        return seen.get(self.cleaned_data["state"], 0) if seen else None
