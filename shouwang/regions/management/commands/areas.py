from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shouwang.regions.services import AreaLoadError, areas_load


class Command(BaseCommand):
    help = "Area tree tools. `areas load FILE…` loads province/city/county/township/village CSVs."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Validate and load area CSV files (all or nothing).")
        load.add_argument("files", nargs="+", type=Path)

    def handle(self, *args, action, files, **options):
        try:
            report = areas_load(paths=files)
        except AreaLoadError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("%(n)s 处错误，未导入任何区划。") % {"n": len(exc.errors)}
            ) from None
        message = _("新增 %(created)s，更新 %(updated)s，未变 %(unchanged)s。") % {
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
        }
        if report.placeholders:
            message += _("%(n)s 行与上级是同一区划（不设区县的市等），已并入上级。") % {
                "n": report.placeholders
            }
        self.stdout.write(self.style.SUCCESS(message))
