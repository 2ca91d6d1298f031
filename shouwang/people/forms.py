"""Validation of a person's file: the one definition used by the pages, the API
and (later) the ledger import. Sensitive fields (ID number, phones) are never
sent back to the browser: on an edit they start empty, and empty means unchanged.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from shouwang.core.crypto import blind_index
from shouwang.core.widgets import DateInput, FastSelect
from shouwang.people import choices as c
from shouwang.people.eligibility import DifficultyCategory
from shouwang.people.identity import (
    IdNumberError,
    PhoneError,
    check_id_matches,
    mask_id_number,
    mask_phone,
    normalize_phone,
    parse_id_number,
)
from shouwang.people.models import Household, Person, Relation
from shouwang.regions.models import Area, Level

PERSON_FIELDS = [
    "name", "sex", "ethnicity", "birth_date", "hukou_registered", "village", "address",
    "household",
    "health", "disability_type", "disability_grade", "illness", "lives_alone", "dependence",
    *c.ASSISTANCE_FIELDS,
    "schooling", "school", "grade", "class_name", "head_teacher", "boarding",
    "personality", "hobbies", "guardianship_type", "guardianship_assessment", "notes",
]  # fmt: skip
MAX_AGE = 120


def clean_phone_field(raw: str) -> str:
    """A phone field's value, normalised; empty stays empty (on an edit: unchanged)."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        return normalize_phone(raw)
    except PhoneError as exc:
        raise forms.ValidationError(str(exc)) from None


def id_index(number: str) -> str:
    return blind_index(number, purpose="id_number")


def phone_index(number: str) -> str:
    return blind_index(number, purpose="phone")


def person_rules(data: dict, *, parsed_id=None, skip=frozenset(), today=None) -> dict[str, str]:
    """The rules of a file across its fields — the ID number agrees with the birth
    date and sex (and supplies them when left empty, in `data`), the birth date is
    given and plausible, a disability names its type and a serious illness its
    name. {field: message}; fields in `skip` already have an error. The one
    definition for the form, the API and the ledger import."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if parsed_id is not None:
        mismatches = check_id_matches(
            parsed_id, birth_date=data.get("birth_date"), sex=data.get("sex")
        )
        errors.update(mismatches)
        if not data.get("birth_date") and "birth_date" not in skip:
            data["birth_date"] = parsed_id.birth_date
        if not data.get("sex") and "sex" not in mismatches:
            data["sex"] = parsed_id.sex
    birth = data.get("birth_date")
    if birth is None and "birth_date" not in skip and "birth_date" not in errors:
        errors["birth_date"] = _("请填写出生日期，或填写身份证号码")
    elif birth is not None and "birth_date" not in errors:
        if birth > today:
            errors["birth_date"] = _("出生日期不能晚于今天")
        elif birth < today - dt.timedelta(days=365 * MAX_AGE + 30):
            errors["birth_date"] = _("出生日期早于 %(n)s 年前，请核对") % {"n": MAX_AGE}
    health = data.get("health")
    if health == c.Health.DISABLED and not data.get("disability_type"):
        errors["disability_type"] = _("残疾人员请填写残疾类别")
    if health == c.Health.SERIOUSLY_ILL and not data.get("illness"):
        errors["illness"] = _("患重病人员请填写疾病名称")
    return errors


class PersonForm(forms.ModelForm):
    id_number = forms.CharField(label=_lazy("身份证号码"), required=False, max_length=40)
    phone = forms.CharField(label=_lazy("联系电话"), required=False, max_length=30)
    head_teacher_phone = forms.CharField(label=_lazy("班主任电话"), required=False, max_length=30)
    difficulty_categories = forms.MultipleChoiceField(
        label=_lazy("困境类别"), choices=DifficultyCategory.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    income_sources = forms.MultipleChoiceField(
        label=_lazy("家庭收入来源"), choices=c.IncomeSource.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    FIELDSETS = [
        (_lazy("基本信息"), ["name", "sex", "ethnicity", "birth_date", "id_number",
                            "hukou_registered", "phone", "village", "address"]),
        (_lazy("健康与自理"), ["health", "disability_type", "disability_grade", "illness",
                              "lives_alone", "dependence"]),
        (_lazy("救助与收入"), [*c.ASSISTANCE_FIELDS, "income_sources", "difficulty_categories"]),
        (_lazy("就学（儿童）"), ["schooling", "school", "grade", "class_name", "head_teacher",
                               "head_teacher_phone", "boarding", "personality", "hobbies"]),
        (_lazy("监护（儿童）"), ["guardianship_type", "guardianship_assessment"]),
        (_lazy("备注"), ["notes"]),
    ]  # fmt: skip

    class Meta:
        model = Person
        fields = PERSON_FIELDS
        widgets = {"birth_date": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.id_warnings: list[str] = []
        self.parsed_id = None
        self.fields["village"].queryset = Area.objects.visible_to(user).filter(level=Level.VILLAGE)
        self.fields["birth_date"].required = False  # may come from the ID number
        # Set when adding a member to an existing household; otherwise the file
        # gets a household of its own.
        self.fields["household"].queryset = Household.objects.visible_to(user)
        self.fields["household"].widget = forms.HiddenInput()
        if self.instance.pk:
            self.initial["difficulty_categories"] = self.instance.difficulty_categories
            self.initial["income_sources"] = self.instance.income_sources
            for name, masker in (("id_number", mask_id_number), ("phone", mask_phone),
                                 ("head_teacher_phone", mask_phone)):  # fmt: skip
                current = getattr(self.instance, name)
                if current:
                    self.fields[name].widget.attrs["placeholder"] = _(
                        "%(masked)s（不修改请留空）"
                    ) % {"masked": masker(current)}

    def fieldsets(self):
        """(title, bound fields) for the template, in the order of the national form."""
        return [(title, [self[name] for name in names]) for title, names in self.FIELDSETS]

    def clean_id_number(self) -> str:
        raw = self.cleaned_data["id_number"].strip()
        if not raw:
            return ""
        try:
            self.parsed_id = parse_id_number(raw)
        except IdNumberError as exc:
            raise forms.ValidationError(str(exc)) from None
        self.id_warnings = list(self.parsed_id.warnings)
        number = self.parsed_id.number
        others = Person.objects.filter(id_number_index=id_index(number))
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        other = others.first()
        if other is not None:
            visible = Person.objects.visible_to(self.user).filter(pk=other.pk).exists()
            if visible:
                raise forms.ValidationError(
                    _("该身份证号码已登记在 %(name)s 的档案中（编号 %(pk)s）")
                    % {"name": other.name, "pk": other.pk}
                )
            raise forms.ValidationError(_("该身份证号码已在其他地区登记，请联系县级管理员核实"))
        return number

    def clean_phone(self) -> str:
        return clean_phone_field(self.cleaned_data["phone"])

    def clean_head_teacher_phone(self) -> str:
        return clean_phone_field(self.cleaned_data["head_teacher_phone"])

    def clean(self):
        data = super().clean()
        errors = person_rules(data, parsed_id=self.parsed_id, skip=set(self.errors))
        if self.parsed_id is not None and data.get("sex") and "sex" not in errors:
            self.errors.pop("sex", None)  # left empty: read off the ID number
        for field, message in errors.items():
            self.add_error(field, message)
        household, village = data.get("household"), data.get("village")
        if household and village and household.village_id != village.pk:
            self.add_error("village", _("同一户的成员应在同一个村（社区）"))
        return data

    def data_for_save(self) -> dict:
        """The cleaned fields to save. The sensitive ones are included only when
        entered: on an edit an empty field means "unchanged", never "erase"."""
        sensitive = ("id_number", "phone", "head_teacher_phone")
        data = {k: v for k, v in self.cleaned_data.items()
                if k not in (*sensitive, "version", "loaded_at")}  # fmt: skip
        for name in sensitive:
            if self.cleaned_data.get(name) or not self.instance.pk:
                data[name] = self.cleaned_data.get(name, "")
        return data


class PersonEditForm(PersonForm):
    """The edit form carries the version it was loaded at, for optimistic locking."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    loaded_at = forms.DateTimeField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
            self.initial["loaded_at"] = timezone.now()


class RelationForm(forms.ModelForm):
    phone = forms.CharField(label=_lazy("联系电话"), required=False, max_length=30)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Relation
        fields = [
            "kind", "relative", "name", "birth_date", "living",
            "working_away", "work_province", "work_city", "employer", "months_away_12",
            "last_return_date", "returned",
            "is_guardian", "entrusted", "health", "capacity", "notified_school",
            "notified_village",
        ]  # fmt: skip
        widgets = {
            "birth_date": DateInput(),
            "last_return_date": DateInput(),
            "relative": forms.NumberInput(),
        }

    def __init__(self, *args, user, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.person = person
        relatives = Person.objects.visible_to(user)
        if self.instance.relative_id:  # keep a link made by someone with a wider scope
            relatives = relatives | Person.objects.filter(pk=self.instance.relative_id)
        self.fields["relative"].queryset = relatives
        self.fields["relative"].help_text = _("在册人员的档案编号（可不填，改填姓名）")
        self.fields["work_province"].queryset = Area.objects.filter(level=Level.PROVINCE)
        self.fields["work_city"].queryset = Area.objects.filter(level=Level.CITY)
        self.fields["months_away_12"].max_value = 12
        if self.instance.pk:
            self.fields["version"].required = True  # an edit must say what it was made on
            if not self.is_bound:
                self.initial["version"] = self.instance.version
        self.fields["months_away_12"].validators.append(_at_most_12)

    def clean_phone(self) -> str:
        return clean_phone_field(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        relative = data.get("relative")
        if relative is None and not data.get("name"):
            self.add_error("name", _("请填写姓名，或选择在册人员"))
        if relative is not None and relative.pk == self.person.pk:
            self.add_error("relative", _("不能把本人登记为自己的家庭成员"))
        province, city = data.get("work_province"), data.get("work_city")
        if province and city and not city.code.startswith(province.prefix):
            self.add_error("work_city", _("务工城市不在所选省份内"))
        if data.get("working_away") and not province:
            self.add_error("work_province", _("外出务工请填写务工省份"))
        last_return = data.get("last_return_date")
        if last_return and last_return > timezone.localdate():
            self.add_error("last_return_date", _("返乡日期不能晚于今天"))
        return data


def _at_most_12(value):
    if value is not None and value > 12:
        raise forms.ValidationError(_("近12个月外出月数不能超过12"))


class PersonFilterForm(forms.Form):
    q = forms.CharField(label=_lazy("姓名、拼音、首字母或身份证号"), required=False,
                        max_length=40)  # fmt: skip
    area = forms.ChoiceField(label=_lazy("地区"), required=False, widget=FastSelect)
    program = forms.ChoiceField(label=_lazy("项目"), required=False, widget=FastSelect)
    status = forms.ChoiceField(label=_lazy("档案状态"), required=False, widget=FastSelect)
    age_band = forms.ChoiceField(label=_lazy("年龄段"), required=False, widget=FastSelect)
    school = forms.CharField(label=_lazy("学校"), required=False, max_length=100)
    # The people behind a figure of the dashboard (统计概览): the indicator's drill
    # key and the month it was read for (shouwang.dashboard.indicators).
    indicator = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)
    month = forms.CharField(required=False, max_length=7, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        from shouwang.people.eligibility import Program
        from shouwang.people.selectors import AGE_BANDS

        super().__init__(*args, **kwargs)
        self.indicator_label = ""
        areas = Area.objects.visible_to(user).filter(level__gte=Level.TOWNSHIP).order_by("code")
        self.fields["area"].choices = [("", _("全部"))] + [
            (a.prefix, ("— " if a.level == Level.VILLAGE else "") + a.name) for a in areas
        ]
        self.fields["program"].choices = [("", _("全部"))] + list(Program.choices)
        self.fields["status"].choices = [("", _("全部"))] + list(c.PersonStatus.choices)
        self.fields["age_band"].choices = [("", _("全部"))] + [
            (band, _("%(band)s 岁") % {"band": band}) for band in AGE_BANDS
        ]

    def clean(self):
        from shouwang.care.rates import Month
        from shouwang.dashboard.indicators import UnknownDrill, drill_label, parse_drill

        data = super().clean()
        month = data.get("month", "")
        if month and Month.parse(month) is None:
            self.add_error("month", _("月份格式应为 YYYY-MM"))
        if data.get("indicator"):
            try:
                parse_drill(data["indicator"])
                month = Month.parse(month) or Month.of(timezone.localdate())
                self.indicator_label = drill_label(data["indicator"], month)
            except UnknownDrill:
                self.add_error(None, _("统计口径无效"))
        return data


class EnrollForm(forms.Form):
    program = forms.ChoiceField(label=_lazy("项目"))
    started_on = forms.DateField(label=_lazy("纳入日期"),
                                 widget=DateInput())  # fmt: skip

    def __init__(self, *args, **kwargs):
        from shouwang.people.eligibility import Program

        super().__init__(*args, **kwargs)
        self.fields["program"].choices = Program.choices
        if not self.is_bound:
            self.initial["started_on"] = timezone.localdate()


class EndEnrollmentForm(forms.Form):
    ended_on = forms.DateField(label=_lazy("退出日期"),
                               widget=DateInput())  # fmt: skip
    exit_reason = forms.ChoiceField(label=_lazy("退出原因"))
    note = forms.CharField(label=_lazy("说明"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        from shouwang.people.eligibility import ExitReason

        super().__init__(*args, **kwargs)
        self.fields["exit_reason"].choices = ExitReason.choices
        if not self.is_bound:
            self.initial["ended_on"] = timezone.localdate()


class RuleForm(forms.Form):
    """A new version of a program's rule for the user's county. Only the
    parameters of the chosen program are used; empty ones keep the rule in force."""

    program = forms.ChoiceField(label=_lazy("项目"))
    effective_from = forms.DateField(label=_lazy("生效日期"), widget=DateInput())
    age_limit = forms.IntegerField(label=_lazy("年龄上限（儿童，未满）"), required=False,
                                   min_value=1, max_value=18)  # fmt: skip
    parents_rule = forms.ChoiceField(label=_lazy("父母外出条件（留守儿童）"), required=False)
    min_months_away = forms.IntegerField(label=_lazy("最少外出月数（近12个月）"),
                                         required=False, min_value=0, max_value=12)  # fmt: skip
    categories = forms.MultipleChoiceField(label=_lazy("启用的困境类别"), required=False,
                                           widget=forms.CheckboxSelectMultiple)  # fmt: skip
    min_age = forms.IntegerField(label=_lazy("最低年龄（妇女、老年人）"), required=False)
    max_age = forms.IntegerField(label=_lazy("最高年龄（妇女）"), required=False)
    require_married = forms.ChoiceField(
        label=_lazy("须已婚（妇女）"), required=False, widget=FastSelect,
        choices=[("", _lazy("沿用现行")), ("yes", _lazy("是")), ("no", _lazy("否"))],
    )  # fmt: skip
    note = forms.CharField(label=_lazy("说明"), required=False, max_length=200)

    def __init__(self, *args, current: dict[str, dict], **kwargs):
        from shouwang.people.eligibility import ParentsRule, Program

        super().__init__(*args, **kwargs)
        self.current = current
        self.fields["program"].choices = Program.choices
        self.fields["parents_rule"].choices = [("", "—"), *ParentsRule.choices]
        self.fields["categories"].choices = DifficultyCategory.choices
        if not self.is_bound:
            self.initial["effective_from"] = timezone.localdate()

    def clean(self):
        from django.core.exceptions import ValidationError

        from shouwang.people.eligibility import validate_params

        data = super().clean()
        program = data.get("program")
        if not program:
            return data
        params = dict(self.current.get(program, {}))
        for key in params:
            value = data.get(key)
            if key == "require_married":
                if value in ("yes", "no"):
                    params[key] = value == "yes"
            elif value not in (None, "", []):
                params[key] = value
        try:
            data["params"] = validate_params(program, params)
        except ValidationError as exc:
            self.add_error(None, exc)
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_lazy("档案状态"),
        choices=[(v, label) for v, label in c.PersonStatus.choices if v != c.PersonStatus.MERGED],
    )
    on = forms.DateField(label=_lazy("变更日期"), widget=DateInput())
    note = forms.CharField(label=_lazy("说明"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["on"] = timezone.localdate()
