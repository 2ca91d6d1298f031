"""The assessment form (风险评估表) and the choice of a region's scale. The form
reads input only: what is mandatory and how the level is computed is the
service's and the rubric's (one definition for the page and the API)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _lazy

from shouwang.core.forms import BoundedModelChoiceField
from shouwang.core.widgets import DateInput
from shouwang.people.choices import RiskLevel
from shouwang.protection import rubric
from shouwang.protection.models import RiskGrade, RiskScale


class _GradeChoice(BoundedModelChoiceField):
    def label_from_instance(self, grade: RiskGrade) -> str:
        return grade.label


class AssessmentForm(forms.Form):
    """One radio group per rubric item that applies to the person (`subject`)."""

    override_grade = _GradeChoice(
        label=_lazy("人工调整等级"),
        queryset=RiskGrade.objects.none(),
        required=False,
        empty_label=_lazy("（不调整，按评分确定）"),
        help_text=_lazy("仅在评分不能反映实际风险时调整，并须说明理由"),
    )
    override_reason = forms.CharField(label=_lazy("调整理由"), max_length=200, required=False)
    notes = forms.CharField(
        label=_lazy("评估说明"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    assessed_on = forms.DateField(label=_lazy("评估日期"), widget=DateInput(), required=False)

    def __init__(self, *args, subject: str, scale: RiskScale, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = rubric.items_for(subject)
        for item in self.items:
            self.fields[item.code] = forms.ChoiceField(
                label=item.label,
                choices=[(o.value, o.label) for o in item.options],
                widget=forms.RadioSelect,
                required=False,
            )
        self.fields["override_grade"].queryset = scale.grades.all()
        self.order_fields([item.code for item in self.items])

    def item_fields(self):
        return [self[item.code] for item in self.items]

    def answers(self) -> dict[str, str]:
        return {item.code: self.cleaned_data.get(item.code, "") for item in self.items}


class ScaleForm(forms.Form):
    scale = BoundedModelChoiceField(
        label=_lazy("本县使用的风险等级标准"), queryset=RiskScale.objects.none()
    )

    def __init__(self, *args, county=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scale"].queryset = scales_for_county(county)


def scales_for_county(county):
    """The shared scales and the county's own, if any."""
    own = Q(county=county) if county is not None else Q(pk__in=[])
    return RiskScale.objects.filter(Q(county__isnull=True) | own).order_by("-is_default", "key")


class ColorInput(forms.TextInput):
    input_type = "color"


class GradeForm(forms.Form):
    """One level of a county's own scale (prefix: its rank). The checks are the
    service's (`scale_grades_update`)."""

    label = forms.CharField(label=_lazy("名称"), max_length=30, required=False)
    colour = forms.CharField(
        label=_lazy("颜色"), max_length=7, required=False,
        widget=ColorInput,
    )  # fmt: skip
    min_score = forms.IntegerField(label=_lazy("最低分值"), required=False)
    tier = forms.ChoiceField(label=_lazy("走访等级"), choices=RiskLevel.choices, required=False)
    reassess_days = forms.IntegerField(label=_lazy("复评间隔（天）"), required=False)
