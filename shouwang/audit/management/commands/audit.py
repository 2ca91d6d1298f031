"""`shouwang audit seal | verify | export`: the audit log's seals (shouwang.audit.chain)
and an export for inspectors."""

import csv
import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shouwang.audit.chain import audit_seal, audit_verify
from shouwang.audit.models import AuditEntry
from shouwang.audit.services import audit_export

COLUMNS = [
    "seq", "id", "timestamp", "actor_id", "actor_email", "remote_addr", "action",
    "content_type_id", "object_pk", "object_repr", "changes", "additional_data",
    "area_code", "mac", "chain",
]  # fmt: skip


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(_("日期格式应为 YYYY-MM-DD：%(text)s") % {"text": text}) from exc


class Command(BaseCommand):
    help = "Audit log: seal new entries, verify the chain, export for inspectors."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("seal", help="Number and chain the entries not yet sealed.")
        sub.add_parser("verify", help="Check every seal; exit 1 on any problem.")
        export = sub.add_parser("export", help="Entries with their seals as CSV (UTF-8).")
        export.add_argument("--since", type=_day, help="first day, YYYY-MM-DD")
        export.add_argument("--until", type=_day, help="last day, YYYY-MM-DD")
        export.add_argument("--output", help="file (default: standard output)")

    def handle(self, *args, action, **options):
        if action == "seal":
            self.stdout.write(_("已封存 %(n)s 条") % {"n": audit_seal()})
        elif action == "verify":
            self.verify()
        else:
            self.export(**options)

    def verify(self) -> None:
        report = audit_verify()
        seq, chain = report.head
        self.stdout.write(
            _("已核验 %(n)s 条，待封存 %(u)s 条；链尾：第 %(seq)s 条 %(chain)s")
            % {"n": report.checked, "u": report.unsealed, "seq": seq, "chain": chain}
        )
        for problem in report.problems:
            self.stdout.write(problem)
        if report.problems:
            self.stdout.write(_("发现 %(n)s 处问题") % {"n": len(report.problems)})
            sys.exit(1)
        self.stdout.write(_("未发现问题"))

    def export(self, *, since, until, output, **options) -> None:
        entries = AuditEntry.objects.order_by("seq", "id")
        if since:
            entries = entries.filter(timestamp__date__gte=since)
        if until:
            entries = entries.filter(timestamp__date__lte=until)
        out = open(output, "w", encoding="utf-8", newline="") if output else self.stdout  # noqa: SIM115
        try:
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            rows = 0
            for entry in entries.iterator(5000):
                writer.writerow([getattr(entry, c) for c in COLUMNS])
                rows += 1
        finally:
            if output:
                out.close()
        audit_export(
            model=AuditEntry, name="audit", label=_("审计日志导出"), rows=rows, fields=COLUMNS,
            extra={"since": str(since or ""), "until": str(until or "")},
        )  # fmt: skip
