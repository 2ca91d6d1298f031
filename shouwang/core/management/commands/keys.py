"""`shouwang keys rotate`: re-encrypt every encrypted field under the first key of
FIELD_ENCRYPTION_KEYS (shouwang.core.rotation)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shouwang.core.rotation import RotationError, keys_rotate


class Command(BaseCommand):
    help = "Field-encryption keys. `keys rotate` re-encrypts stored values under the first key."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        rotate = sub.add_parser("rotate", help="Re-encrypt every value not under the first key.")
        rotate.add_argument("--batch-size", type=int, default=1000)
        rotate.add_argument("--dry-run", action="store_true", help="only count")

    def handle(self, *args, action, batch_size, dry_run, **options):
        try:
            report = keys_rotate(batch_size=max(1, batch_size), dry_run=dry_run)
        except RotationError as exc:
            raise CommandError(str(exc)) from None
        for label, seen in report.seen.items():
            self.stdout.write(
                _("%(field)s：%(seen)s 个值，%(rotated)s 个%(verb)s")
                % {"field": label, "seen": seen, "rotated": report.rotated[label],
                   "verb": _("待重新加密") if dry_run else _("已重新加密")}
            )  # fmt: skip
        if dry_run:
            self.stdout.write(_("共 %(n)s 个值待重新加密（未写入）") % {"n": report.total_rotated})
            return
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "完成：共 %(n)s 个值已用第一个密钥重新加密；"
                    "现在可以从 FIELD_ENCRYPTION_KEYS 移除旧密钥"
                )
                % {"n": report.total_rotated}
            )
        )
