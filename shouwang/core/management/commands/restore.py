"""`shouwang restore FILE`: replace the database with a backup and check every table."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shouwang.core.backup import BackupError, backup_restore
from shouwang.core.management.commands.backup import PASSPHRASE_ENV, read_passphrase


class Command(BaseCommand):
    help = (
        "Replace the database with the backup in FILE, then check every table against "
        "the backup's manifest (exit 1 on a difference). Stop the web server and worker first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--passphrase-file",
            help=f"file whose first line is the passphrase (else ${PASSPHRASE_ENV}, else ask)",
        )
        parser.add_argument(
            "--force", action="store_true", help="overwrite a database that already holds data"
        )

    def handle(self, *args, file, passphrase_file, force, **options):
        passphrase = read_passphrase(passphrase_file, confirm=False)
        try:
            report = backup_restore(path=file, passphrase=passphrase, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        info = report.info
        self.stdout.write(
            _("已恢复 %(created)s 的备份（%(vendor)s）：%(tables)s 张表，%(rows)s 行")
            % {"created": info.created_at, "vendor": info.vendor,
               "tables": len(info.tables), "rows": info.rows}
        )  # fmt: skip
        for note in report.notes:
            self.stdout.write(self.style.WARNING(note))
        if not report.ok:
            for problem in report.mismatches:
                self.stdout.write(self.style.ERROR(problem))
            self.stdout.write(_("核对发现 %(n)s 处不符") % {"n": len(report.mismatches)})
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(_("核对完成：每张表的行数和校验和都与备份一致")))
