"""Risk assessments of the demo county (see `shouwang.protection.demo`): answers
read off each file, graded by the rubric with the county's scale, written in bulk."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from shouwang.audit.services import Action, Change, audit_bulk
from shouwang.care.services.due_dates import due_dates_refresh
from shouwang.people import choices as pc
from shouwang.people.models import Person
from shouwang.protection import rubric
from shouwang.protection.demo import values as v
from shouwang.protection.demo.county import County, Member
from shouwang.protection.models import Assessment, RiskGrade, RiskScale
from shouwang.protection.services.risk import current_risk_refresh, scale_for, thresholds

AUDIT_SOURCE = "demo"
GUARDIANSHIP = {
    pc.GuardianshipType.NONE: "none",
    pc.GuardianshipType.PARENT_INCAPABLE: "parent_incapable",
    pc.GuardianshipType.ENTRUSTED_INSUFFICIENT: "insufficient",
    pc.GuardianshipType.AVERAGE: "average",
    pc.GuardianshipType.GOOD: "good",
}
PHYSICAL = {pc.Health.DISABLED: "disabled", pc.Health.SERIOUSLY_ILL: "serious"}
SAFETY_ORDER = ["safe", "hazard", "bullying", "violence"]
MENTAL_ORDER = ["good", "unstable", "marked", "self_harm"]
REFRESH_CHUNK = 900  # ids per current_risk_refresh call (SQLite's parameter limit)


@dataclass(frozen=True)
class Reassessment:
    """An assessment a case asks for: on `day`, with some answers changed."""

    day: dt.date
    answers: dict[str, str]
    note: str


def pick(rng: random.Random, weighted) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


class Grader:
    """Grades answers with the rubric and the scale in force for the county."""

    def __init__(self, county: County):
        village = next(iter(county.villages))
        self.scale: RiskScale = scale_for(village)
        self.grades: dict[int, RiskGrade] = {g.rank: g for g in self.scale.grades.all()}
        self.thresholds = thresholds(self.scale.grades.all())

    def grade(self, subject: str, answers: dict[str, str], age: int) -> rubric.Grading:
        return rubric.grade(subject=subject, answers=answers, age=age, thresholds=self.thresholds)


class Assessments:
    """Builds every enrolled person's assessments in memory: one, or an earlier
    and a current one; people in a case are assessed again when the case says so."""

    def __init__(self, *, county: County, rng: random.Random, cases: dict[int, list]):
        self.county, self.rng, self.today = county, rng, county.today
        self.cases = cases  # person pk → [Reassessment]
        self.grader = Grader(county)
        self.rows: list[Assessment] = []

    def build(self) -> list[Assessment]:
        for member in self.county.people:
            self._person(member)
        return self.rows

    # --- answers ------------------------------------------------------------------

    def answers(self, member: Member) -> dict[str, str]:
        """A full set of answers (every item of every subject), from the file where it
        says something and drawn where it does not (mood, safety)."""
        rng, f = self.rng, member.facts
        guardianship = GUARDIANSHIP.get(f["guardianship_type"])
        if guardianship is None:
            guardianship = "insufficient" if f["orphan"] or f["de_facto_unsupported"] else "good"
        if f["lives_alone"]:
            living = "alone"
        elif f["boarding"]:
            living = "boarding"
        else:
            living = "with_relatives" if rng.random() < 0.03 else "with_guardian"
        physical = PHYSICAL.get(f["health"])
        elderly = member.age_on(self.today) >= 60
        if physical is None:
            chronic = 0.5 if elderly else 0.08 if member.age_on(self.today) >= 18 else 0.04
            physical = "chronic" if rng.random() < chronic else "healthy"
        if f["schooling"] == pc.Schooling.DROPPED_OUT:
            schooling = "dropped_out"
        elif f["schooling"] in pc.AT_SCHOOL:
            schooling = pick(rng, v.SCHOOLING)
        else:
            schooling = "normal"
        if f["dibao"] or f["tekun"] or f["orphan"]:
            economic = "very_difficult"
        elif f["poverty_monitoring"] or f["temporary_aid"] or f["de_facto_unsupported"]:
            economic = "difficult"
        else:
            economic = "difficult" if rng.random() < (0.14 if elderly else 0.09) else "normal"
        if f["lives_alone"]:
            elderly_living = "alone"
        elif member.with_child or not member.with_spouse:
            elderly_living = "with_family"
        else:
            elderly_living = "with_spouse"
        weak = guardianship in ("insufficient", "parent_incapable", "none")
        group = member.group(self.today) or "woman"
        mood = group
        if group == "child" and weak:
            mood = "child_weak"
        elif group == "elderly" and f["lives_alone"]:
            mood = "elderly_alone"
        safety, mental = pick(rng, v.SAFETY[group]), pick(rng, v.MENTAL[mood])
        # Troubles come together: a few households have several at once.
        trouble = rng.random()
        if trouble < v.TROUBLE["severe"]:
            safety = max(safety, pick(rng, v.TROUBLED_SAFETY), key=SAFETY_ORDER.index)
            mental = max(mental, pick(rng, v.TROUBLED_MENTAL), key=MENTAL_ORDER.index)
            economic = "difficult" if economic == "normal" else economic
        elif trouble < v.TROUBLE["severe"] + v.TROUBLE["moderate"]:
            mental = max(mental, "unstable", key=MENTAL_ORDER.index)
            if rng.random() < 0.5:
                safety = max(safety, "hazard", key=SAFETY_ORDER.index)
        return {
            "guardianship": guardianship,
            "living": living,
            "safety": safety,
            "physical": physical,
            "mental": mental,
            "schooling": schooling,
            "economic": economic,
            "elderly_living": elderly_living,
            "dependence": f["dependence"] or "independent",
        }

    def redraw(self, member: Member, answers: dict[str, str]) -> dict[str, str]:
        """The answers at an earlier assessment: mood and safety may have differed."""
        earlier = dict(answers)
        fresh = self.answers(member)
        for code in ("mental", "safety", "schooling", "economic"):
            if self.rng.random() < 0.35:
                earlier[code] = fresh[code]
        return earlier

    # --- assessments --------------------------------------------------------------

    def _person(self, member: Member) -> None:
        rng = self.rng
        answers = self.answers(member)
        reassessments = self.cases.get(member.pk)
        if reassessments:
            # Assessed before the case came up, then as the case asked.
            first = reassessments[0].day - dt.timedelta(days=rng.randint(40, 300))
            if first >= member.since:
                self._add(member, first, answers, override=False)
            for step in reassessments:
                answers = answers | step.answers
                self._add(member, step.day, answers, override=False, note=step.note)
            return
        # The current assessment: within its reassessment interval, or (a few) past it.
        graded = self._grading(member, self.today, answers)
        days = self.grader.grades[graded.rank].reassess_days
        overdue = v.OVERDUE.get(member.village, v.OVERDUE[""])
        if rng.random() < overdue:
            day = self.today - dt.timedelta(days=days + rng.randint(1, 75))
        else:
            day = self.today - dt.timedelta(days=rng.randint(0, days - 1))
        day = max(day, member.since)
        if rng.random() < v.TWICE:
            earlier = day - dt.timedelta(days=rng.randint(150, 420))
            if earlier >= member.since:
                self._add(member, earlier, self.redraw(member, answers), override=False)
        self._add(member, day, answers, override=rng.random() < v.OVERRIDE_SHARE)

    def _grading(self, member: Member, day: dt.date, answers: dict[str, str]) -> rubric.Grading:
        subject = member.subject_on(day)
        mine = {item.code: answers[item.code] for item in rubric.items_for(subject)}
        return self.grader.grade(subject, mine, member.age_on(day))

    def _add(
        self, member: Member, day: dt.date, answers: dict[str, str], *, override: bool,
        note: str = "",
    ) -> None:  # fmt: skip
        rng, grades = self.rng, self.grader.grades
        subject = member.subject_on(day)
        mine = {item.code: answers[item.code] for item in rubric.items_for(subject)}
        graded = self.grader.grade(subject, mine, member.age_on(day))
        computed = grades[graded.rank]
        final, reason = computed, ""
        if override and not graded.red_flags:
            up = graded.rank > 1 and (graded.rank == len(grades) or rng.random() < 0.7)
            final = grades[graded.rank - 1 if up else graded.rank + 1]
            reason = rng.choice(v.OVERRIDES_UP if up else v.OVERRIDES_DOWN)
        if not note and final.rank <= 2 and rng.random() < 0.6:
            note = rng.choice(v.NOTES_HIGH)
        self.rows.append(
            Assessment(
                person_id=member.pk, scale=self.grader.scale, subject=subject, answers=mine,
                score=graded.score, red_flags=list(graded.red_flags), computed_grade=computed,
                grade=final, override_reason=reason, assessed_on=day,
                next_due=day + dt.timedelta(days=final.reassess_days), notes=note,
                assessed_by=self.county.recorder(member.village),
            )
        )  # fmt: skip


def assessments_save(county: County, rows: list[Assessment]) -> None:
    """Write the assessments, audit them, make the latest of each person their level
    in force and let the care network's overdue index catch up with the new tiers."""
    Assessment.objects.bulk_create(rows, batch_size=500)
    names = {m.pk: m.name for m in county.people}
    audit_bulk(
        model=Assessment,
        source=AUDIT_SOURCE,
        changes=(
            Change(
                a.pk,
                f"{names[a.person_id]} · {a.grade.label} · {a.assessed_on}",
                Action.CREATE,
                {
                    "person": [None, a.person_id],
                    "score": [None, a.score],
                    "grade": [None, a.grade.label],
                    "assessed_on": [None, a.assessed_on.isoformat()],
                }
                | ({"override_reason": [None, a.override_reason]} if a.override_reason else {}),
            )  # fmt: skip
            for a in rows
        ),
    )
    ids = sorted({a.person_id for a in rows})
    for start in range(0, len(ids), REFRESH_CHUNK):
        current_risk_refresh(person_ids=ids[start : start + REFRESH_CHUNK])
    due_dates_refresh(people=Person.objects.in_area_prefix(county.code), today=county.today)
