"""The upload form of the ledger import: which ledger, which file."""

from django import forms
from django.utils.translation import gettext_lazy as _lazy

from shouwang.ledgers import services
from shouwang.ledgers.columns import LEDGERS


class UploadForm(forms.Form):
    ledger = forms.ChoiceField(label=_lazy("台账"))
    file = forms.FileField(
        label=_lazy("文件"),
        help_text=_lazy("Excel（.xlsx、.xls）或 CSV；请使用下载的模板"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.xlsb,.ods,.csv"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ledger"].choices = [
            (key, LEDGERS[key].title) for key in services.importable(user)
        ]
