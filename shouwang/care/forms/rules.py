from django import forms

from shouwang.care.models import ObligationRule
from shouwang.care.services.rules import RULE_FIELDS
from shouwang.core.locking import VersionedForm


class RuleForm(VersionedForm, forms.ModelForm):
    """A county's visiting rule; an edit carries the version it was made on."""

    class Meta:
        model = ObligationRule
        fields = RULE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["version"]  # a new rule edits nothing yet
