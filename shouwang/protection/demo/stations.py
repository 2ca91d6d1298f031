"""Care stations (关爱阵地) of the demo county, their 八有 checklist and a year of
activities with the people and volunteers of their village, and the festival aid
handed out at them (see `shouwang.protection.demo`). Built in memory; written by
`shouwang.protection.demo.support_save`."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal

from shouwang.people.demo.values import GIVEN_NAMES, SURNAMES
from shouwang.protection.choices import ActivityKind, AidKind, ServiceKind, StationKind
from shouwang.protection.demo import values as v
from shouwang.protection.demo.county import County, Member
from shouwang.protection.models import Activity, Aid, Service, Station


class Stations:
    """Stations in about a third of the villages (always the demo village), and
    their activities over the year up to `today`."""

    def __init__(self, *, county: County, rng: random.Random):
        self.county, self.rng, self.today = county, rng, county.today
        self.start = self.today - dt.timedelta(days=364)
        self.stations: list[Station] = []
        self.activities: list[Activity] = []
        self.participants: dict[int, list[Member]] = {}  # id(activity) → people
        self.helpers: dict[int, list[int]] = {}  # id(activity) → volunteer pks
        self.aid: list[Aid] = []
        self.services: list[Service] = []
        self._surname_weights = list(itertools.accumulate(w for _s, w in SURNAMES))

    def build(self) -> None:
        rng, county = self.rng, self.county
        for code, village in county.villages.items():
            if code != "350724101200" and rng.random() >= v.STATIONS_SHARE:
                continue
            people = county.by_village.get(code, [])
            groups = {m.group(self.today) for m in people}
            first = StationKind.CHILDREN_HOME
            if "child" not in groups or rng.random() < 0.12:
                first = StationKind.ELDERLY_CENTRE if "elderly" in groups else rng.choice(
                    [StationKind.CHILDREN_SERVICE, StationKind.WOMEN_HOME]
                )  # fmt: skip
            kinds = [first]
            if rng.random() < v.SECOND_SHARE:
                second = rng.choices(*zip(*v.SECOND_STATIONS, strict=True))[0]
                if second not in kinds:
                    kinds.append(second)
            for kind in kinds:
                station = self._station(village, kind)
                self.stations.append(station)
                self._activities(station, [m for m in people if m.group(self.today)])

    def _name(self) -> str:
        rng = self.rng
        sex = "F" if rng.random() < 0.6 else "M"
        surname = rng.choices([s for s, _w in SURNAMES], cum_weights=self._surname_weights)[0]
        return surname + rng.choice(GIVEN_NAMES["mid"][sex])

    def _station(self, village, kind: str) -> Station:
        rng = self.rng
        opened = self.today - dt.timedelta(days=rng.randint(200, 8 * 365))
        haves = {name: rng.random() < share for name, share in v.HAVES.items()}
        # A station open for years has usually filled its gaps.
        if opened < self.today - dt.timedelta(days=4 * 365):
            haves = {name: have or rng.random() < 0.4 for name, have in haves.items()}
        return Station(
            village_id=village.code, kind=kind, name=f"{village.name}{v.STATION_NAMES[kind]}",
            address=f"{village.name}{rng.choice(v.PLACES)}", manager=self._name(),
            opened_on=opened, **haves,
        )  # fmt: skip

    def _activities(self, station: Station, people: list[Member]) -> None:
        rng, today = self.rng, self.today
        serves = v.STATION_FOR[station.kind]
        start = max(self.start, station.opened_on)
        options = []
        for day_key, kind, title, description, gives in v.ACTIVITIES[serves]:
            for year in (today.year - 1, today.year):
                day = v.festival_day(day_key, year)
                if day is None:
                    continue
                if kind == ActivityKind.FESTIVAL:
                    day -= dt.timedelta(days=rng.randint(1, 6))  # 慰问 comes before the day
                if start <= day <= today:
                    options.append((day, kind, title, description, gives))
        for day, kind, title, description, gives in sorted(
            rng.sample(options, min(len(options), rng.randint(3, 7)))
        ):
            mine = [m for m in people if m.group(day) == serves and m.since <= day]
            if serves == "woman":  # women's activities welcome the elderly women too
                mine += [m for m in people if m.group(day) == "elderly" and m.sex == "F"]
            if not mine:
                continue
            chosen = rng.sample(mine, min(len(mine), rng.randint(5, 18)))
            chosen.sort(key=lambda m: m.pk)
            activity = Activity(
                station=station, date=day, kind=kind, title=title, description=description,
                recorded_by=self.county.recorder(station.village_id),
            )  # fmt: skip
            self.activities.append(activity)
            self.participants[id(activity)] = chosen
            ready = [pk for pk, since in self.county.volunteers.get(station.village_id, [])
                     if since <= day]  # fmt: skip
            self.helpers[id(activity)] = sorted(
                rng.sample(ready, min(len(ready), rng.randint(0, 3)))
            )
            if gives:
                self._festival_aid(activity, serves, chosen)
            if kind == ActivityKind.HEALTH and serves == "elderly":
                self._clinic(activity, chosen)

    def _festival_aid(self, activity: Activity, serves: str, people: list[Member]) -> None:
        rng = self.rng
        giver, fund = rng.choice(v.ACTIVITY_GIVERS[serves])
        cash = rng.random() < 0.5
        amount = Decimal(rng.choices(*zip(*v.CASH, strict=True))[0])
        items, value = rng.choice(v.GOODS[serves])
        for member in people:
            aid = Aid(
                person_id=member.pk, date=activity.date, giver=giver, fund=fund,
                activity=activity, recorded_by=activity.recorded_by,
            )  # fmt: skip
            if cash:
                aid.kind, aid.amount = AidKind.CASH, amount
            else:
                aid.kind, aid.items, aid.value = AidKind.GOODS, items, Decimal(value)
            self.aid.append(aid)

    def _clinic(self, activity: Activity, people: list[Member]) -> None:
        township = self.county.townships.get(activity.station.village_id[:9] + "000", "乡镇")
        for member in people:
            self.services.append(
                Service(
                    person_id=member.pk, kind=ServiceKind.FREE_CLINIC, date=activity.date,
                    provider=f"{township}卫生院", fund=v.SERVICE_FUNDS[ServiceKind.FREE_CLINIC][0],
                    notes=v.SERVICE_NOTES[ServiceKind.FREE_CLINIC][0], activity=activity,
                    recorded_by=activity.recorded_by,
                )
            )  # fmt: skip
