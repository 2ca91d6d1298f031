"""`shouwang backup FILE`: an encrypted backup of the database (shouwang.core.backup)."""

import getpass
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shouwang.core.backup import BackupError, backup_create

PASSPHRASE_ENV = "SHOUWANG_BACKUP_PASSPHRASE"


def read_passphrase(passphrase_file: str | None, *, confirm: bool) -> str:
    """From --passphrase-file (its first line), else $SHOUWANG_BACKUP_PASSPHRASE,
    else asked on the terminal (twice when `confirm`)."""
    if passphrase_file:
        try:
            text = Path(passphrase_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(_("无法读取口令文件：%(e)s") % {"e": exc}) from None
        return text.splitlines()[0] if text else ""
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    passphrase = getpass.getpass(_("备份口令："))
    if confirm and getpass.getpass(_("再输入一次：")) != passphrase:
        raise CommandError(_("两次输入的口令不一致"))
    return passphrase


class Command(BaseCommand):
    help = "Write an encrypted backup of the database to FILE (safe while Shouwang runs)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--passphrase-file",
            help=f"file whose first line is the passphrase (else ${PASSPHRASE_ENV}, else ask)",
        )

    def handle(self, *args, file, passphrase_file, **options):
        passphrase = read_passphrase(passphrase_file, confirm=True)
        try:
            info = backup_create(path=file, passphrase=passphrase)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("已备份到 %(path)s：%(tables)s 张表，%(rows)s 行，%(size)s 字节（%(vendor)s）")
                % {"path": info.path, "tables": len(info.tables), "rows": info.rows,
                   "size": info.size, "vendor": info.vendor}
            )
        )  # fmt: skip
        self.stdout.write(_("请另行保管口令和 FIELD_ENCRYPTION_KEYS：缺少任一都无法读取备份"))
