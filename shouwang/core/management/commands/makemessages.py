"""`makemessages` that also collects `_lazy("…")`, the name the forms give
gettext_lazy when `_` is plain gettext in the same module."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_lazy"]
