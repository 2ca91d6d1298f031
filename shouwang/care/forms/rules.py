from django import forms

from shouwang.care.models import ObligationRule
from shouwang.care.services.rules import RULE_FIELDS


class RuleForm(forms.ModelForm):
    class Meta:
        model = ObligationRule
        fields = RULE_FIELDS
