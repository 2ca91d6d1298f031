from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class DateInput(forms.DateInput):
    """A native date picker. Its value must be ISO (YYYY-MM-DD) whatever the
    locale: zh-hans would otherwise render 2026/11/22, which browsers reject."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class FastSelect(forms.Select):
    """A <select> rendered in Python rather than one template per <option>.

    Django renders every option through its widget templates; a list filter with
    over a hundred villages spent about 5 ms per request on that
    (docs/performance.md). Same HTML for plain (ungrouped) choices.
    """

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) in selected else "", label)
                for key, label in self.choices
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(attrs), options)


class DateTimeInput(forms.DateTimeInput):
    """A native date-and-time picker (ISO value, minutes), like DateInput."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")
