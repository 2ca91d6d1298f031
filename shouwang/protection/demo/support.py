"""Services (服务) and aid (慰问) of the demo county beside the stations'
activities, and the bulk write of stations, activities, services and aid (see
`shouwang.protection.demo`)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from shouwang.audit.services import Action, Change, audit_bulk
from shouwang.people.choices import Dependence
from shouwang.protection.choices import AidKind, Fund
from shouwang.protection.choices import ServiceKind as SK
from shouwang.protection.demo import values as v
from shouwang.protection.demo.county import County, Member
from shouwang.protection.demo.stations import Stations
from shouwang.protection.models import Activity, Aid, Assessment, Service, Station

AUDIT_SOURCE = "demo"


class Support:
    """Services and aid over the year up to `today`, by what each person's file and
    current assessment say they need."""

    def __init__(self, *, county: County, rng: random.Random, assessments: list[Assessment]):
        self.county, self.rng, self.today = county, rng, county.today
        self.start = self.today - dt.timedelta(days=364)
        self.current: dict[int, Assessment] = {}
        for a in sorted(assessments, key=lambda a: (a.person_id, a.assessed_on)):
            self.current[a.person_id] = a
        self.services: list[Service] = []
        self.aid: list[Aid] = []

    def build(self) -> None:
        spring = [d for y, d in v.SPRING_FESTIVAL.items() if self.start <= d <= self.today]
        autumn = [d for y, d in v.MID_AUTUMN.items() if self.start <= d <= self.today]
        for member in self.county.people:
            self._services(member)
            if spring:
                self._spring(member, spring[-1])
            if autumn:
                self._autumn(member, autumn[-1])

    def day(self, member: Member, low: dt.date | None = None, high: dt.date | None = None):
        low = max(low or self.start, member.since, self.start)
        high = min(high or self.today, self.today)
        if low > high:
            return None
        return low + dt.timedelta(days=self.rng.randint(0, (high - low).days))

    def service(self, member: Member, kind: str, day: dt.date | None, *, volunteer=None):
        if day is None:
            return
        rng = self.rng
        township = self.county.townships.get(member.township, "乡镇")
        self.services.append(
            Service(
                person_id=member.pk, kind=kind, date=day,
                provider=rng.choice(v.PROVIDERS[kind]).format(township=township),
                volunteer_id=volunteer, fund=rng.choice(v.SERVICE_FUNDS[kind]),
                notes=rng.choice(v.SERVICE_NOTES[kind]),
                recorded_by=self.county.recorder(member.village),
            )
        )  # fmt: skip

    def _services(self, member: Member) -> None:
        rng, f, today = self.rng, member.facts, self.today
        group = member.group(today)
        answers = self.current[member.pk].answers if member.pk in self.current else {}
        mental = answers.get("mental", "good")
        if mental == "self_harm" or (mental == "marked" and rng.random() < 0.6):
            first = self.day(member)
            for n in range(rng.randint(1, 3)):
                if first is not None:
                    day = min(first + dt.timedelta(days=14 * n), today)
                    self.service(member, SK.COUNSELLING, day)
        elif mental == "unstable" and rng.random() < 0.06:
            self.service(member, SK.COUNSELLING, self.day(member))
        age = member.age_on(today)
        if group == "child":
            poor = f["dibao"] or f["orphan"] or f["de_facto_unsupported"] or f["poverty_monitoring"]
            if poor and f["schooling"] and rng.random() < 0.6:
                term = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
                self.service(member, SK.SCHOOL_AID, self.day(member, term, term + dt.timedelta(20)))
        elif group == "woman":
            if 35 <= age < 65 and rng.random() < 0.35:
                self.service(member, SK.CANCER_SCREENING, self.day(member))
            if rng.random() < 0.1:
                self.service(member, SK.SKILLS_TRAINING, self.day(member))
            if rng.random() < 0.02:
                self.service(member, SK.ENTREPRENEURSHIP, self.day(member))
            if answers.get("safety") == "violence":
                self.service(member, SK.LEGAL_AID, self.day(member))
        elif group == "elderly":
            if age >= 65 and rng.random() < 0.6:
                self.service(member, SK.HEALTH_CHECK, self.day(member))
            if f["dependence"] != Dependence.INDEPENDENT and rng.random() < 0.4:
                helpers = [pk for pk, _since in self.county.volunteers.get(member.village, [])]
                helper = rng.choice(helpers) if helpers and rng.random() < 0.3 else None
                first = self.day(member)
                for n in range(rng.randint(1, 4)):
                    if first is not None:
                        day = min(first + dt.timedelta(days=30 * n), today)
                        self.service(member, SK.DAY_CARE, day, volunteer=helper)

    def give(
        self, member: Member, day: dt.date | None, giver: str, fund: str, *, cash: int = 0,
        items: str = "", value: int = 0, relation: int | None = None,
    ) -> None:  # fmt: skip
        if day is None:
            return
        aid = Aid(
            person_id=member.pk, relation_id=relation, date=day, giver=giver, fund=fund,
            recorded_by=self.county.recorder(member.village),
        )  # fmt: skip
        if cash:
            aid.kind, aid.amount = AidKind.CASH, Decimal(cash)
        else:
            aid.kind, aid.items, aid.value = AidKind.GOODS, items, Decimal(value)
        self.aid.append(aid)

    def _spring(self, member: Member, festival: dt.date) -> None:
        """春节: 慰问金 for the poorest and those at high risk; a gift for some parents
        and husbands working away, handed over when they come home for the holiday."""
        rng, f = self.rng, member.facts
        current = self.current.get(member.pk)
        rank = current.grade.rank if current else 5
        window = (festival - dt.timedelta(days=14), festival - dt.timedelta(days=2))
        if f["tekun"] or f["dibao"] or f["orphan"] or rank <= 2:
            amount = 500 if (f["tekun"] or rank == 1) else rng.choice([300, 300, 200])
            self.give(member, self.day(member, *window), "县民政局", Fund.FISCAL, cash=amount)
        group = member.group(festival)
        share = {"child": 0.15, "woman": 0.06}.get(group, 0)
        if member.away and rng.random() < share:
            relation = rng.choice(member.away)
            day = self.day(member, festival - dt.timedelta(days=7), festival + dt.timedelta(5))
            if rng.random() < 0.5:
                self.give(member, day, "县总工会", Fund.UNIT, items="返乡慰问：新春礼包",
                         value=150, relation=relation)  # fmt: skip
            else:
                self.give(member, day, "乡镇政府", Fund.FISCAL, cash=200, relation=relation)

    def _autumn(self, member: Member, festival: dt.date) -> None:
        """中秋: mooncakes and milk for the oldest living alone."""
        oldest = member.facts["lives_alone"] and member.age_on(festival) >= 80
        if member.group(festival) == "elderly" and oldest and self.rng.random() < 0.7:
            window = (festival - dt.timedelta(days=6), festival - dt.timedelta(days=1))
            self.give(member, self.day(member, *window), "村民委员会", Fund.UNIT,
                      items="月饼、牛奶", value=90)  # fmt: skip


def support_save(county: County, stations: Stations, support: Support) -> None:
    """Write stations, activities (with participants and volunteers), services and
    aid in bulk, and audit every record."""
    Station.objects.bulk_create(stations.stations, batch_size=500)
    Activity.objects.bulk_create(stations.activities, batch_size=500)
    names = {m.pk: m.name for m in county.people}
    Participant = Activity.participants.through
    Helper = Activity.volunteers.through
    Participant.objects.bulk_create(
        (Participant(activity_id=a.pk, person_id=m.pk)
         for a in stations.activities for m in stations.participants[id(a)]),
        batch_size=1000,
    )  # fmt: skip
    Helper.objects.bulk_create(
        (Helper(activity_id=a.pk, volunteer_id=pk)
         for a in stations.activities for pk in stations.helpers[id(a)]),
        batch_size=1000,
    )  # fmt: skip
    services = stations.services + support.services
    Service.objects.bulk_create(services, batch_size=1000)
    aid = stations.aid + support.aid
    Aid.objects.bulk_create(aid, batch_size=1000)

    audit_bulk(
        model=Station,
        source=AUDIT_SOURCE,
        changes=(
            Change(s.pk, s.name, Action.CREATE,
                   {"village": [None, s.village_id], "kind": [None, s.kind],
                    "haves": [None, s.haves_done]})
            for s in stations.stations
        ),
    )  # fmt: skip

    def took_part(activity: Activity) -> dict:
        people = [names[m.pk] for m in stations.participants[id(activity)]]
        return {"type": "m2m", "operation": "add", "objects": people}

    audit_bulk(
        model=Activity,
        source=AUDIT_SOURCE,
        changes=(
            Change(a.pk, str(a), Action.CREATE,
                   {"station": [None, a.station_id], "date": [None, a.date.isoformat()],
                    "participants": took_part(a)})
            for a in stations.activities
        ),
    )  # fmt: skip
    kinds = dict(SK.choices)
    audit_bulk(
        model=Service,
        source=AUDIT_SOURCE,
        changes=(
            Change(s.pk, f"{names[s.person_id]} · {kinds[s.kind]} · {s.date}", Action.CREATE,
                   {"person": [None, s.person_id], "kind": [None, s.kind],
                    "date": [None, s.date.isoformat()]})
            for s in services
        ),
    )  # fmt: skip
    aid_kinds = dict(AidKind.choices)
    audit_bulk(
        model=Aid,
        source=AUDIT_SOURCE,
        changes=(
            Change(a.pk, f"{names[a.person_id]} · {aid_kinds[a.kind]} · {a.date}", Action.CREATE,
                   {"person": [None, a.person_id], "kind": [None, a.kind],
                    "total": [None, str(a.total)]}
                   | ({"relation": [None, a.relation_id]} if a.relation_id else {}))
            for a in aid
        ),
    )  # fmt: skip
