"""Small helpers shared by the forms of every app."""

from django import forms
from django.core.exceptions import ValidationError


def form_errors_from(exc: ValidationError, form) -> None:
    """Show a service's ValidationError on the form: field errors at their field,
    the rest (and errors for fields the form does not have) at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# The largest id a database column holds. SQLite raises OverflowError (a server
# error, not a form error) when asked for a larger one.
MAX_ID = 2**63 - 1


def _too_large(value) -> bool:
    try:
        return abs(int(str(value))) > MAX_ID
    except ValueError:
        return False


class BoundedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that refuses ids no database can hold as an invalid choice."""

    def to_python(self, value):
        if value not in self.empty_values and _too_large(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField that refuses ids no database can hold."""

    def _check_values(self, value):
        for pk in value:
            if _too_large(pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)
