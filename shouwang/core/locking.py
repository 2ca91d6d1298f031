"""Optimistic locking (no lost updates), the one mechanism for every editable record.

A record that people edit has `version = models.PositiveIntegerField(default=1,
editable=False)`. Its edit form carries the version it was loaded at in a hidden
field (`VersionedForm`); the service loads the row with `select_for_update`,
compares (`lock_version`), refuses with a ValidationError of code "stale" if
someone saved in between, and otherwise saves with the version moved on by one.
Views answer a stale edit with 409 and the form as the user filled it, the
message at the top (`is_stale`); the API answers 409 (`conflict`).

What must hold: every write to such a record that a person started from what
they read goes through `lock_version` (or `check_version` for rows that may not
exist yet), inside the service's transaction, so two saves at the same moment
queue on the row lock and exactly one wins.
"""

from __future__ import annotations

from typing import TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _lazy
from ninja import Schema

STALE_CODE = "stale"
STALE_MESSAGE = _lazy("该记录已被他人修改，请刷新后查看最新内容再保存。")

M = TypeVar("M", bound=models.Model)


class VersionField(forms.IntegerField):
    """The hidden version a form was loaded at; required, so an edit always says
    which version it was made on."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("error_messages", {
            "required": _lazy("页面缺少版本信息，请刷新后再保存。"),
            "invalid": _lazy("页面缺少版本信息，请刷新后再保存。"),
            "min_value": _lazy("页面缺少版本信息，请刷新后再保存。"),
        })  # fmt: skip
        super().__init__(**kwargs)


class VersionedForm:
    """Mixin for an edit form: adds the hidden `version`, initially the version of
    `self.instance` (a ModelForm) or of the `record` passed to `set_version`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"] = VersionField()
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk:
            self.set_version(instance)

    def set_version(self, record: models.Model | None) -> None:
        if record is not None:
            self.fields["version"].initial = record.version
            self.initial.setdefault("version", record.version)

    @property
    def version(self) -> int:
        return self.cleaned_data["version"]


class VersionForm(VersionedForm, forms.Form):
    """Just the version, for a page that edits one record through several forms
    (the levels of a risk scale) or through forms of its own kind."""

    def __init__(self, *args, record: models.Model | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_version(record)


def stale_error(message: str | None = None) -> ValidationError:
    return ValidationError(message or str(STALE_MESSAGE), code=STALE_CODE)


def check_version(current: int, expected: int | None, *, message: str | None = None) -> None:
    """Refuse (ValidationError, code "stale") an edit made on `expected` when the
    record is at `current`. `expected` None: the caller read nothing (a system job,
    the demo), so there is nothing to compare."""
    if expected is not None and current != expected:
        raise stale_error(message)


def lock_version(
    queryset: models.QuerySet[M] | type[M],
    *,
    pk,
    version: int | None,
    message: str | None = None,
) -> M:
    """The row `pk`, locked for the rest of the transaction, checked to be at
    `version`, with its version moved on by one (saved with the caller's save)."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    row = queryset.select_for_update().get(pk=pk)
    check_version(row.version, version, message=message)
    row.version += 1
    return row


def is_stale(exc: ValidationError) -> bool:
    """Whether a service refused because the record moved on since it was read."""
    if hasattr(exc, "error_dict"):
        return any(e.code == STALE_CODE for errors in exc.error_dict.values() for e in errors)
    return any(getattr(e, "code", None) == STALE_CODE for e in exc.error_list)


def stale_status(exc: ValidationError, otherwise: int = 200) -> int:
    """The status of a page re-rendered after `exc`: 409 for a stale edit."""
    return 409 if is_stale(exc) else otherwise


class StaleOut(Schema):
    """An API's answer to a stale edit (409)."""

    detail: str
    current_version: int


def conflict(exc: ValidationError, current_version: int) -> dict:
    """The body of an API's 409 (`StaleOut`): the message and the version to read."""
    return {"detail": exc.messages[0] if exc.messages else str(STALE_MESSAGE),
            "current_version": current_version}  # fmt: skip
