"""The export and template links of the lists (people, volunteers)."""

from __future__ import annotations

from django import template
from django.urls import reverse

from shouwang.ledgers.columns import LEDGERS, VOLUNTEERS
from shouwang.ledgers.views import REVEAL_PERMISSION, may_download_template, may_export

register = template.Library()


@register.inclusion_tag("ledgers/partials/_export_links.html", takes_context=True)
def ledger_exports(context, *keys: str, query_string: str = "", program: str = ""):
    """Links to export and download the ledgers named by `keys` ("people": the
    ledgers of people — only the one of `program` when it has one). The list's
    filters (`query_string`) go with the ledgers whose export applies them."""
    user = context["request"].user
    if keys == ("people",):
        ledgers = [ledger for ledger in LEDGERS.values() if ledger.program]
        ledgers = [ledger for ledger in ledgers if ledger.program == program] or ledgers
    else:
        ledgers = [LEDGERS[key] for key in keys]
    items = []
    for ledger in ledgers:
        if not may_export(user, ledger):
            continue
        export = reverse("ledgers:export", args=[ledger.key])
        filtered = bool(ledger.program) or ledger.key == VOLUNTEERS.key
        tail = f"&{query_string}" if query_string and filtered else ""
        items.append(
            {
                "title": ledger.title,
                "xlsx": f"{export}?format=xlsx{tail}",
                "csv": f"{export}?format=csv{tail}",
                "reveal": f"{export}?format=xlsx&reveal=1{tail}",
                "template": reverse("ledgers:template", args=[ledger.key])
                if may_download_template(user, ledger)
                else "",
            }
        )
    return {"items": items, "may_reveal": user.has_perm(REVEAL_PERMISSION)}
