"""The shapes of the demo families (see `shouwang.people.demo`)."""

from __future__ import annotations

import datetime as dt

from shouwang.people import choices as c
from shouwang.people.demo import values as v
from shouwang.people.demo.files import Files, Kin
from shouwang.people.eligibility import ExitReason, Program, age_on
from shouwang.people.eligibility import birthday_on_or_after as birthday

CHILD = Program.LEFT_BEHIND_CHILD.value
DIFFICULTY = Program.CHILD_IN_DIFFICULTY.value
WOMAN = Program.LEFT_BEHIND_WOMAN.value
ELDERLY = Program.LEFT_BEHIND_ELDERLY.value

K = c.RelationKind
GRANDPARENT_KIND = {
    ("paternal", "M"): K.PATERNAL_GRANDFATHER,
    ("paternal", "F"): K.PATERNAL_GRANDMOTHER,
    ("maternal", "M"): K.MATERNAL_GRANDFATHER,
    ("maternal", "F"): K.MATERNAL_GRANDMOTHER,
}
# How the parents of a left-behind child are placed (weights out of 100): both away;
# the father away and the mother gone (divorced, 下落不明), ill or disabled at home,
# or dead; the mother away and the father unable to look after the child; and
# families whose father has since come home (their enrollment ended).
SITUATIONS = {
    "both": 80,
    "mother_gone": 7,
    "mother_incapable": 5,
    "mother_dead": 3,
    "father_incapable": 2,
    "returned": 3,
}


class Families(Files):
    """Builds families until the open enrollments reach the targets."""

    def build(self, targets: dict[str, int]) -> None:
        """Three families that leave proposals, then: children (their grandparents
        count as elderly), women, children in difficulty, and elderly households for
        the rest of the elderly."""
        for special in ("age_out", "returned", "new"):
            self.grandparent_family(special=special)
        while self.open[CHILD] < targets[CHILD]:
            remaining = targets[CHILD] - self.open[CHILD]
            if self.rng.random() < 0.92:
                self.grandparent_family(kids_max=remaining)
            else:
                self.relative_family(kids_max=remaining)
        while self.open[WOMAN] < targets[WOMAN]:
            self.woman_family()
        while self.open[DIFFICULTY] < targets[DIFFICULTY]:
            self.difficulty_family()
        while self.open[ELDERLY] < targets[ELDERLY]:
            self.elderly_family(couple=targets[ELDERLY] - self.open[ELDERLY] > 1)

    # --- Family shapes ----------------------------------------------------------------

    def grandparent_family(self, *, kids_max: int = 3, special: str = "") -> None:
        """Grandparents caring for grandchildren whose parents work away (隔代监护).

        `special` makes a family that leaves pending proposals: "age_out" (the eldest
        turned 16 six days ago and is still enrolled), "returned" (the father came home
        12 days ago), "new" (the parents left six months ago; nobody is enrolled yet).
        """
        rng, on = self.rng, self.on
        household = self.household()
        if special == "age_out":
            births = [v.years_before(on - dt.timedelta(days=6), 16)]
        else:
            births = [self.v.birth(rng.randint(1, 15))]
        count = min(kids_max, rng.choices([1, 2, 3], [55, 35, 10])[0])
        while len(births) < count:
            born = births[-1] + self.v.days(400, 2200)
            if born > on - dt.timedelta(days=90):
                break
            births.append(born)
        # Now and then an elder sibling who turned 16 stays on file, enrollment ended.
        aged_out = None
        if not special and rng.random() < 0.05:
            born = births[0] - self.v.days(400, 1500)
            if 16 <= age_on(born, on) <= 17:
                aged_out = born
                births.insert(0, born)

        situation = "both"
        if not special:
            situation = rng.choices(list(SITUATIONS), list(SITUATIONS.values()))[0]
        months = 6 if special == "new" else None
        surname = self.v.surname()
        mother_birth = v.years_before(births[0], rng.randint(20, 31)) - self.v.days(0, 364)
        father = self.kin("M", mother_birth - self.v.days(0, 6 * 365), surname, months=months)
        mother = self.kin("F", mother_birth, self.v.surname(), partner=father, months=months)
        if situation == "father_incapable":
            father.stay_home(health=self.illness_or_disability(), capacity=c.GuardianCapacity.NONE)
        elif situation == "mother_incapable":
            mother.stay_home(health=self.illness_or_disability(), capacity=c.GuardianCapacity.NONE)
        elif situation == "mother_dead":
            mother.die()
        parents = [father] if situation == "mother_gone" else [father, mother]

        maternal = situation == "father_incapable" or (situation == "both" and rng.random() < 0.15)
        side, their_child = ("maternal", mother) if maternal else ("paternal", father)
        grandparents = self.elders_of(
            household,
            child=their_child,
            single=rng.random() < 0.28,
            # The "new" family's grandparents qualify too, so they get proposals.
            min_age=62 if special == "new" else 0,
            all_away=special == "new",
        )

        family_dibao = rng.random() < 0.05
        kids = []
        for born in births:
            kid = self.child(household, surname=surname, birth=born)
            if family_dibao:
                self.poor(kid)
            elif rng.random() < 0.03:
                self.disabled(kid)
            elif rng.random() < 0.01:
                self.seriously_ill(kid)
            kid.person.income_sources = ["migrant_work"] + (
                ["farming"] if rng.random() < 0.4 else []
            )
            self.parents_of(kid, parents, father=father)
            guardians = [
                self.guardian(kid, gp, GRANDPARENT_KIND[(side, gp.person.sex)])
                for gp in grandparents
            ]
            self.assess(
                kid,
                incapable_parent=situation.endswith("incapable"),
                limited=any(g.capacity == c.GuardianCapacity.LIMITED for g in guardians),
            )
            kids.append(kid)
        if family_dibao:
            for grandparent in grandparents:
                grandparent.person.dibao = True

        back, afterwards = None, []
        if situation == "returned" or special == "returned":
            back = on - (dt.timedelta(days=12) if special else self.v.days(60, 700))
        for kid in kids:
            born = kid.person.birth_date
            if back is not None and not special:
                # Enrolled while the father was away, ended when he came back; a child
                # born since then is looked at once he is home.
                at = back - self.v.days(10, 400)
                if at > born + dt.timedelta(days=30):
                    self.settle(kid, at=at)
                    self.end(
                        kid, CHILD, min(on, back + self.v.days(7, 40)), ExitReason.PARENTS_RETURNED
                    )
                else:
                    afterwards.append(kid)
            elif born == aged_out or (special == "age_out" and kid is kids[0]):
                self.settle(kid, at=birthday(born, 16) - self.v.days(30, 400))
                if special:
                    kid.refresh = True
                else:
                    self.end(
                        kid, CHILD, birthday(born, 16) + self.v.days(3, 40), ExitReason.AGE_LIMIT
                    )
            elif special == "new":
                kid.refresh = True
            else:
                self.settle(kid)
        if back is not None:
            # Months away in the last 12: what was left of the year when he came back.
            father.come_home(on=back, months=max(0, min(11, 12 - (on - back).days // 30)))
            for kid in kids:
                kid.refresh = kid.refresh or bool(special)
            for kid in afterwards:
                self.settle(kid)
        for grandparent in grandparents:
            if special == "new":
                grandparent.refresh = True
            else:
                self.settle(grandparent)

    def relative_family(self, *, kids_max: int) -> None:
        """Parents both away; an aunt or uncle on file looks after the children."""
        rng = self.rng
        household = self.household()
        births = [self.v.birth(rng.randint(2, 15))]
        if kids_max > 1 and rng.random() < 0.35:
            born = births[0] + self.v.days(500, 2000)
            if born < self.on - dt.timedelta(days=90):
                births.append(born)
        surname = self.v.surname()
        mother_birth = v.years_before(births[0], rng.randint(21, 31)) - self.v.days(0, 364)
        father = self.kin("M", mother_birth - self.v.days(0, 5 * 365), surname)
        mother = self.kin("F", mother_birth, self.v.surname(), partner=father)
        sex = rng.choice("MF")
        born = min(father.birth + self.v.days(-8 * 365, 8 * 365), self.v.adult_birth(25))
        relative = self.adult(household, sex=sex, birth=born, surname=surname)
        partner_birth = min(born + self.v.days(-3 * 365, 3 * 365), self.v.adult_birth(25))
        # An aunt whose husband works away is a left-behind woman herself.
        partner = self.kin(
            "F" if sex == "M" else "M",
            partner_birth,
            self.v.surname(),
            away=sex == "F" and rng.random() < 0.3,
        )
        self.relate(relative, K.SPOUSE, kin=partner)
        for born in births:
            kid = self.child(household, surname=surname, birth=born)
            kid.person.income_sources = ["migrant_work"]
            self.parents_of(kid, [father, mother], father=father)
            self.guardian(kid, relative, K.OTHER_RELATIVE)
            self.assess(kid, incapable_parent=False, limited=False)
            self.settle(kid)
        self.settle(relative)

    def woman_family(self) -> None:
        """A woman at home whose husband works away; some live with his parents, some
        have children on file as children of a 低保 family."""
        rng, on = self.rng, self.on
        household = self.household()
        band = rng.choices([(22, 29), (30, 44), (45, 58)], [25, 50, 25])[0]
        age = rng.randint(*band)
        birth = self.v.birth(age)
        surname = self.v.surname()
        husband = self.kin("M", birth - self.v.days(-2 * 365, 6 * 365), surname)
        woman = self.adult(household, sex="F", birth=birth, surname=self.v.surname())
        woman.person.income_sources = ["migrant_work", "farming"]
        self.relate(woman, K.SPOUSE, kin=husband)
        # Their children: at home when young, perhaps away themselves when grown.
        children: list[Kin] = []
        oldest = age - rng.randint(20, 30)
        if oldest >= 0:
            born = self.v.birth(oldest)
            for _n in range(rng.choices([1, 2, 3], [45, 45, 10])[0]):
                if born > on - dt.timedelta(days=90):
                    break
                grown = age_on(born, on) >= 18
                away = grown and rng.random() < 0.6
                children.append(self.kin(rng.choice("MF"), born, surname, away=away))
                born += self.v.days(400, 2500)
        poor = rng.random() < 0.07 and any(age_on(k.birth, on) < 16 for k in children)
        if poor:
            woman.person.dibao = True
            woman.person.income_sources = ["migrant_work", "government_aid"]
        for kin in children:
            if not (poor and age_on(kin.birth, on) < 16):
                self.relate(woman, K.CHILD, kin=kin)
                continue
            kid = self.child(
                household, surname=surname, birth=kin.birth, sex=kin.sex, name=kin.name
            )
            self.poor(kid)
            self.relate(kid, K.FATHER, kin=husband)
            self.relate(kid, K.MOTHER, relative=woman, is_guardian=True)
            kid.person.guardianship_type = c.GuardianshipType.AVERAGE
            kid.person.guardianship_assessment = c.GuardianshipAssessment.AVERAGE
            self.settle(kid)
        self.settle(woman)
        if rng.random() < 0.2:
            for elder in self.elders_of(household, child=husband, single=rng.random() < 0.4):
                self.settle(elder)

    def difficulty_family(self) -> None:
        """A child in difficulty (困境儿童): an orphan or a child nobody in fact
        supports (事实无人抚养), raised by grandparents; or a disabled or poor child
        at home with the parents."""
        rng = self.rng
        household = self.household()
        kind = rng.choices(["orphan", "unsupported", "disabled", "poor"], [20, 25, 30, 25])[0]
        birth = self.v.birth(rng.randint(1, 17))
        surname = self.v.surname()
        mother_birth = v.years_before(birth, rng.randint(20, 32)) - self.v.days(0, 364)
        father = self.kin("M", mother_birth - self.v.days(0, 6 * 365), surname, away=False)
        mother = self.kin("F", mother_birth, self.v.surname(), away=False)
        kid = self.child(household, surname=surname, birth=birth)
        kid.person.income_sources = ["government_aid"]
        if kind in ("disabled", "poor"):
            if kind == "disabled":
                self.disabled(kid)
            else:
                self.poor(kid)
                if rng.random() < 0.5:
                    father.health = c.Health.SERIOUSLY_ILL
            self.relate(kid, K.FATHER, kin=father, is_guardian=True)
            self.relate(kid, K.MOTHER, kin=mother, is_guardian=True)
            kid.person.guardianship_type = c.GuardianshipType.AVERAGE
            kid.person.guardianship_assessment = c.GuardianshipAssessment.AVERAGE
            self.settle(kid)
            return
        if kind == "orphan":
            father.die()
            mother.die()
            kid.person.orphan = True
            parents = [father, mother]
        else:
            # Father in prison (no guardianship capacity), mother gone since the divorce.
            father.capacity = c.GuardianCapacity.NONE
            kid.person.de_facto_unsupported = True
            parents = [father]
        grandparents = self.elders_of(household, child=father, single=rng.random() < 0.5)
        self.parents_of(kid, parents, father=father)
        for gp in grandparents:
            kind_ = GRANDPARENT_KIND[("paternal", gp.person.sex)]
            self.guardian(kid, gp, kind_, entrusted=False)
        kid.person.guardianship_type = c.GuardianshipType.ENTRUSTED_INSUFFICIENT
        kid.person.guardianship_assessment = (
            c.GuardianshipAssessment.AVERAGE if kind == "orphan" else c.GuardianshipAssessment.POOR
        )
        self.settle(kid)
        for gp in grandparents:
            self.settle(gp)

    def elderly_family(self, *, couple: bool) -> None:
        """Elderly whose children all work away: a couple (空巢) or someone living
        alone (独居); a few 特困 elderly have no children at all."""
        rng = self.rng
        household = self.household()
        ethnicity = self.v.ethnicity()
        surname = self.v.she_surname() if ethnicity == "畲族" else self.v.surname()
        if couple and rng.random() < 0.45:
            husband_birth = self.v.elder_birth()
            children = self.grown_children(husband_birth, surname)
            husband = self.elder(
                household, sex="M", birth=husband_birth, surname=surname, ethnicity=ethnicity
            )
            wife_birth = husband_birth + self.v.days(0, 5 * 365)
            wife = self.elder(
                household, sex="F", birth=wife_birth, surname=self.v.surname(), ethnicity=ethnicity
            )
            for one, other in ((husband, wife), (wife, husband)):
                self.relate(one, K.SPOUSE, relative=other)
                for kin in children:
                    self.relate(one, K.CHILD, kin=kin)
                self.settle(one)
            return
        sex = "F" if rng.random() < 0.6 else "M"
        elder = self.elder(
            household,
            sex=sex,
            birth=self.v.elder_birth(),
            # A widow's children carry her late husband's surname.
            surname=surname if sex == "M" else self.v.surname(),
            lives_alone=rng.random() < 0.8,
            ethnicity=ethnicity,
        )
        if rng.random() < 0.03:
            elder.person.tekun = True
            elder.person.lives_alone = True
        else:
            for kin in self.grown_children(elder.person.birth_date, surname):
                self.relate(elder, K.CHILD, kin=kin)
        self.settle(elder)
