from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils.translation import gettext as _

from shouwang.core.scoping import code_range
from shouwang.people.models import DuplicateCandidate, Person
from shouwang.people.services.duplicates import duplicates_find
from shouwang.regions.models import Area, Level
from shouwang.regions.services import full_code


class Command(BaseCommand):
    help = "Registry tools. `people find-duplicates [--county CODE]` looks for duplicate files."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        find = sub.add_parser(
            "find-duplicates",
            help="Record candidate pairs among active files (safe to re-run; "
            "dismissed pairs stay dismissed).",
        )
        find.add_argument("--county", help="county code, e.g. 350724 (default: all counties)")

    def handle(self, *args, action, county=None, **options):
        people = Person.objects.active()
        pending = DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.PENDING)
        if county:
            area = Area.objects.filter(code=full_code(county), level=Level.COUNTY).first()
            if area is None:
                raise CommandError(_("县级区划 %(code)s 不存在") % {"code": county})
            people = people.in_area_prefix(area.prefix)
            low, high = code_range(area.prefix)
            pending = pending.filter(person_a__village_id__gte=low, person_a__village_id__lte=high)
        # Only a file sharing its birth date with another can have a pair; the rest
        # need no look-up (duplicates_find narrows to the county itself).
        shared_days = (
            people.order_by()
            .values("birth_date")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .values("birth_date")
        )
        checked = found = 0
        for person in people.filter(birth_date__in=shared_days).order_by("pk").iterator():
            checked += 1
            found += len(duplicates_find(person=person))
        self.stdout.write(
            self.style.SUCCESS(
                _("检查 %(checked)s 份档案，新发现 %(found)s 对疑似重复，待核查共 %(pending)s 对。")
                % {"checked": checked, "found": found, "pending": pending.count()}
            )
        )
