from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

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
                f"{len(exc.errors)} 处错误，未导入任何区划 ({len(exc.errors)} errors, nothing loaded)."
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}"
                f" (created {report.created}, updated {report.updated},"
                f" unchanged {report.unchanged})"
                + (f"；{report.placeholders} 行与上级为同一区划，已合并" if report.placeholders else "")
            )
        )
