"""Small helpers shared by the forms of every app."""

from django.core.exceptions import ValidationError


def form_errors_from(exc: ValidationError, form) -> None:
    """Show a service's ValidationError on the form: field errors at their field,
    the rest (and errors for fields the form does not have) at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
