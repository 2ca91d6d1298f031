"""The demo county's protection cases (see `shouwang.protection.demo`): a dozen
mandatory reports in every state, filed and handled through the case services as
the demo logins, with their history backdated through the services' `now`."""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass, field

from django.utils import timezone

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.people import choices as pc
from shouwang.people.models import Person
from shouwang.protection.choices import Agency as G
from shouwang.protection.choices import CaseCategory as C
from shouwang.protection.choices import CaseState as S
from shouwang.protection.choices import IntakeChannel as I
from shouwang.protection.choices import InterventionKind as IK
from shouwang.protection.choices import ReferralAnswer as R
from shouwang.protection.demo.county import County, Member
from shouwang.protection.demo.risk import Reassessment
from shouwang.protection.models import CaseNote, ProtectionCase
from shouwang.protection.services.cases import (
    case_assign,
    case_note_add,
    case_report,
    case_transition,
    deadlines_check,
    intervention_add,
    referral_add,
    referral_answer,
)

D = 24  # hours in a day: times below are hours before the demo's "now"
DEMO_VILLAGE = "350724101200"  # the demo village worker's
UNKNOWN = {"child": "一名儿童", "woman": "一名妇女", "elderly": "一位老人"}


def at_school(m: Member) -> bool:
    return m.facts["schooling"] in pc.AT_SCHOOL


def weak_guardian(m: Member) -> bool:
    return m.facts["guardianship_type"] in (
        pc.GuardianshipType.ENTRUSTED_INSUFFICIENT,
        pc.GuardianshipType.PARENT_INCAPABLE,
    )


@dataclass(frozen=True)
class Script:
    """One case as it happened. `filer` files it, `handler` moves it on (both
    "village", "supervisor" or "county": the demo login of that level); `moves` are
    (state, hours ago, note); referrals are (agency, hours ago, note, answer,
    answered hours ago, answer note); `reassess` are (hours ago, changed answers,
    note) for the person's risk assessment."""

    township: str
    category: str
    group: str
    want: object  # Member -> bool: who the case is about, preferably
    hours_ago: float
    description: str
    place: str
    reporter: tuple[str, str]
    filer: str
    handler: str
    village: str = ""  # a fixed village, else one of the township's
    other_village: bool = False  # not the demo village
    channel: str = I.SYSTEM
    police: bool = False
    action: str = ""
    moves: tuple = ()
    notes: tuple = ()
    referrals: tuple = ()
    interventions: tuple = ()
    reassess: tuple = ()
    ages: tuple[int, int] = (0, 120)


SCRIPTS: list[Script] = [
    Script(
        "350724101", C.GUARDIAN_NEGLECT, "child", weak_guardian, 45 * D,
        "入户走访发现{name}（{age}岁）近一周由患病卧床的祖母照看，多日未正常进食、衣物脏乱，"
        "父母在外务工，电话联系不上。",
        "{name}家中", ("", "{village}村民委员会"), "village", "village", village=DEMO_VILLAGE,
        action="已安排孩子暂到邻居家吃饭，并继续联系其父母",
        moves=((S.ACCEPTED, 45 * D - 0.5, ""),
               (S.INVESTIGATING, 45 * D - 2, "孩子已安全，先行调查评估"),
               (S.SUPPORT, 45 * D - 50, "评估：监护缺失，落实代理家长每日看护"),
               (S.INTERVENTION, 20 * D, "多次督促未果，启动监护干预")),
        notes=((45 * D - 1, "已电话联系孩子父亲，称年底才能返乡"),
               (44 * D, "与班主任沟通：孩子近期上课注意力不集中"),
               (21 * D, "督促父母返乡或另行委托监护人未果，拟启动监护干预")),
        referrals=((G.CIVIL_AFFAIRS, 44 * D, "申请临时救助", R.ACCEPTED, 42 * D,
                    "已纳入临时救助，发放救助金1500元"),),
        interventions=((IK.ADMONISH, 19 * D, "会同派出所对孩子父亲训诫，责令其履行监护职责"),
                       (IK.RE_ENTRUST, 12 * D,
                        "父亲书面委托孩子姑姑为被委托监护人，已告知学校和村委会")),
        reassess=((44 * D, {"guardianship": "insufficient", "mental": "unstable"},
                   "强制报告后评估"),
                  (11 * D, {"guardianship": "average"}, "重新委托监护后复评")),
    ),
    Script(
        "350724101", C.DROPOUT, "child", at_school, 72.75,
        "班主任反映{name}（{age}岁）已连续两周未到校，祖父母称孩子不愿上学，整天在家玩手机。",
        "{name}家中", ("李老师", "松溪县{stem}中学"), "village", "village", village=DEMO_VILLAGE,
        moves=((S.ACCEPTED, 72, ""),),
        notes=((70, "已电话联系其祖母，约定入户了解情况"),),
        ages=(7, 16),
    ),
    Script(
        "350724101", C.ABUSE, "child", at_school, 33,
        "12355热线来电：{name}（{age}岁）在校多次被高年级学生索要财物并推搡殴打，不敢告诉家人。",
        "学校附近", ("匿名来电", ""), "county", "supervisor", other_village=True,
        channel=I.HOTLINE_12355,
        moves=((S.ACCEPTED, 32.5, ""), (S.INVESTIGATING, 30, "孩子人身安全无紧急危险")),
        notes=((29, "已与学校德育处联系，学校已约谈涉事学生家长"),),
        referrals=((G.EDUCATION, 29, "请学校核实并依规处理欺凌事件", "", 0, ""),),
        ages=(8, 16),
    ),
    Script(
        "350724101", C.DOMESTIC_VIOLENCE, "child", lambda m: True, 120 * D,
        "邻居反映{name}（{age}岁）经常被照看他的亲属酒后打骂，身上有淤青，母亲在外务工。",
        "{name}家中", ("王秀梅", "{village}妇联"), "supervisor", "supervisor",
        other_village=True, police=True, action="已报警，民警到场制止，孩子暂由外婆照看",
        moves=((S.ACCEPTED, 120 * D - 0.5, ""), (S.EMERGENCY, 120 * D - 1, "孩子转移至外婆家"),
               (S.INVESTIGATING, 120 * D - 20, ""),
               (S.INTERVENTION, 117 * D, "施暴人系实际照料人，启动监护干预"),
               (S.SUPPORT, 100 * D, "已重新委托监护，转入帮扶"),
               (S.FOLLOW_UP, 75 * D, "帮扶措施落实，转入跟踪回访"),
               (S.CLOSED, 15 * D, "施暴人已受训诫，孩子由外婆照看，三次回访无异常，同意结案。")),
        notes=((120 * D - 3, "民警已对施暴人批评教育，孩子暂住外婆家"),
               (116 * D, "心理辅导老师介入，孩子情绪逐步稳定"),
               (60 * D, "回访：孩子在外婆家生活正常，学习成绩回升"),
               (16 * D, "三次回访无异常，建议结案")),
        referrals=((G.POLICE, 120 * D - 2, "请派出所调查处理", R.DONE, 118 * D,
                    "已出具家庭暴力告诫书"),
                   (G.WOMEN_FEDERATION, 119 * D, "请妇联协助联系孩子母亲", R.ACCEPTED, 118 * D,
                    "已联系孩子母亲返乡")),
        interventions=((IK.ADMONISH, 117 * D, "公安机关对施暴人出具家庭暴力告诫书并训诫"),
                       (IK.RE_ENTRUST, 110 * D, "孩子母亲书面委托外婆为被委托监护人")),
        reassess=((119 * D, {"safety": "violence", "mental": "marked"}, "强制报告后评估"),
                  (16 * D, {"safety": "safe", "mental": "unstable", "guardianship": "average"},
                   "结案前复评")),
        ages=(4, 16),
    ),
    Script(
        "350724101", C.ELDERLY_DANGER, "elderly", lambda m: m.facts["lives_alone"], 0.42,
        "12349热线来电：邻居反映独居老人{name}（{age}岁）已两天未出门，敲门无人应答，电话无人接听。",
        "{village}{name}家", ("邻居（未留姓名）", ""), "county", "supervisor",
        other_village=True, channel=I.HOTLINE_12349,
    ),
    Script(
        "350724102", C.MISSING, "child", lambda m: True, 6,
        "110转来：{name}（{age}岁）放学后未回家，祖父母在村里寻找未果，已报警。",
        "放学路上", ("孩子祖父", ""), "county", "county", channel=I.POLICE_110, police=True,
        action="派出所已组织民警和村民分组搜寻",
        moves=((S.ACCEPTED, 5.5, ""), (S.EMERGENCY, 5, "启动走失儿童应急处置")),
        notes=((4, "已调取村口和学校周边监控，孩子往镇区方向走"),
               (2, "已联系孩子父母，父母正连夜赶回")),
        ages=(7, 14),
    ),
    Script(
        "350724200", C.GUARDIAN_INCAPABLE, "child", weak_guardian, 13 * D,
        "{name}（{age}岁）的祖母突发脑梗住院，父母在外务工，家中无人照料。",
        "{name}家中", ("刘建平", "{village}村民委员会"), "county", "county",
        action="村委会已安排孩子暂住其姑姑家",
        moves=((S.ACCEPTED, 13 * D - 0.5, ""), (S.EMERGENCY, 13 * D - 1, "孩子临时安置到亲属家"),
               (S.INVESTIGATING, 13 * D - 17, ""),
               (S.SUPPORT, 10 * D, "评估：监护能力不足，落实帮扶")),
        notes=((12 * D, "已联系孩子父亲，其表示月底前返乡"),
               (5 * D, "代理家长每周入户两次，孩子生活正常")),
        referrals=((G.HOSPITAL, 13 * D - 2, "协调祖母住院治疗", R.DONE, 12 * D, "已办理医疗救助"),
                   (G.CIVIL_AFFAIRS, 12 * D, "申请临时救助和困境儿童认定", R.DONE, 9 * D,
                    "已发放临时救助金2000元，困境儿童认定审核中")),
        reassess=((10 * D, {"guardianship": "insufficient", "living": "with_relatives",
                            "economic": "difficult"}, "强制报告后评估"),),
        ages=(3, 16),
    ),  # fmt: skip
    Script(
        "350724201", C.INJURY, "child", at_school, 70 * D,
        "12355热线接到{name}（{age}岁）同学来电：其近期情绪低落，手臂有划伤痕迹，在网上说想“离开”。",
        "学校", ("同学（未成年）", ""), "county", "county", channel=I.HOTLINE_12355,
        action="已联系学校老师和监护人，将孩子送医检查",
        moves=((S.ACCEPTED, 70 * D - 0.3, ""), (S.EMERGENCY, 70 * D - 0.8, "送医并专人陪护"),
               (S.INVESTIGATING, 70 * D - 20, ""), (S.SUPPORT, 67 * D, "心理辅导与家庭陪伴"),
               (S.FOLLOW_UP, 40 * D, "情绪稳定，转入跟踪回访")),
        notes=((66 * D, "第一次心理辅导，孩子愿意交流"), (45 * D, "父亲已返乡陪伴一个月"),
               (20 * D, "回访：情绪稳定，按时上学")),
        referrals=((G.HOSPITAL, 70 * D - 2, "送县医院检查并做心理评估", R.DONE, 69 * D,
                    "外伤已处理，建议心理专科随访"),
                   (G.EDUCATION, 69 * D, "请学校心理老师跟进", R.ACCEPTED, 68 * D,
                    "学校已安排每周心理辅导")),
        reassess=((69 * D, {"mental": "self_harm"}, "强制报告后评估"),
                  (40 * D, {"mental": "marked"}, "转入跟踪回访时复评")),
        ages=(11, 16),
    ),
    Script(
        "350724202", C.ELDERLY_DANGER, "elderly", lambda m: m.facts["lives_alone"], 80 * D,
        "村医入户时发现独居老人{name}（{age}岁）在家中跌倒，已卧床一天无人知晓。",
        "{name}家中", ("村医", "{village}卫生所"), "county", "county",
        action="村医已初步处置并拨打120送医",
        moves=((S.ACCEPTED, 80 * D - 0.5, ""), (S.EMERGENCY, 80 * D - 1, "送医救治"),
               (S.INVESTIGATING, 80 * D - 20, ""), (S.SUPPORT, 77.5 * D, "落实居家照护"),
               (S.FOLLOW_UP, 55 * D, ""),
               (S.CLOSED, 20 * D, "老人已康复，纳入居家养老服务并安装一键呼叫器，"
                                  "结对志愿者定期联系，同意结案。")),
        notes=((76 * D, "已联系其在外务工的儿子，儿子返乡照顾半个月"),
               (50 * D, "已安装一键呼叫器，结对志愿者每周电话"),
               (21 * D, "回访：恢复良好，能自理")),
        referrals=((G.HOSPITAL, 80 * D - 1, "送县医院救治", R.DONE, 72 * D, "已出院，需居家康复"),
                   (G.CIVIL_AFFAIRS, 77 * D, "申请居家养老上门服务", R.DONE, 60 * D,
                    "已纳入居家养老服务，每周上门两次")),
        reassess=((77 * D, {"safety": "hazard", "mental": "unstable"}, "强制报告后评估"),
                  (21 * D, {"safety": "safe"}, "结案前复评")),
    ),  # fmt: skip
    Script(
        "350724203", C.ABANDONMENT, "child",
        lambda m: m.facts["de_facto_unsupported"] or m.facts["orphan"] or weak_guardian(m),
        50 * D,
        "村民反映{name}（{age}岁）父亲服刑、母亲离家多年，照看的祖父去世后独自在家生活，长期无人照料。",
        "{name}家中", ("王国庆", "{village}村民委员会"), "county", "county", police=True,
        action="村委会已将孩子安置在村干部家中临时照料",
        moves=((S.ACCEPTED, 50 * D - 0.5, ""), (S.EMERGENCY, 50 * D - 1, "临时安置"),
               (S.INVESTIGATING, 50 * D - 18, ""),
               (S.INTERVENTION, 47 * D, "无人监护，实施临时监护")),
        notes=((46 * D, "孩子已转学至县城小学"), (10 * D, "法院已受理，等待开庭")),
        referrals=((G.PROTECTION_CENTRE, 49 * D, "申请临时监护", R.ACCEPTED, 48 * D,
                    "县未成年人救助保护中心已接收孩子"),
                   (G.LEGAL_AID, 30 * D, "协助申请撤销监护人资格", R.ACCEPTED, 28 * D,
                    "已指派律师")),
        interventions=((IK.TEMPORARY_CUSTODY, 48 * D,
                        "由县民政局实施临时监护，孩子入住救助保护中心"),
                       (IK.REVOKE, 20 * D, "已向县人民法院申请撤销其父亲的监护人资格")),
        reassess=((49 * D, {"guardianship": "none", "living": "alone"}, "强制报告后评估"),
                  (38 * D, {"guardianship": "insufficient", "living": "with_guardian"},
                   "临时监护后复评")),
        ages=(6, 16),
    ),  # fmt: skip
    Script(
        "350724204", C.ALONE_UNSUPERVISED, "child", lambda m: True, 8.5,
        "12345热线转来：群众反映{name}（{age}岁）近一周晚上独自在家，监护人外出打零工未归。",
        "{name}家中", ("群众（未留姓名）", ""), "county", "county", channel=I.HOTLINE_12345,
        moves=((S.ACCEPTED, 8, ""),),
        notes=((7, "已通知村儿童主任今日入户核实"),),
        ages=(5, 16),
    ),
    Script(
        "350724205", C.DROPOUT, "child", at_school, 52,
        "学校报告{name}（{age}岁）开学后一直未返校，家长称孩子要跟亲戚外出打工。",
        "{name}家中", ("教导处", "松溪县{stem}中学"), "county", "county",
        moves=((S.ACCEPTED, 51.5, ""), (S.INVESTIGATING, 50, "")),
        notes=((48, "乡镇、学校、村委会组成劝返小组，已入户一次"),),
        referrals=((G.EDUCATION, 49, "请教育部门开展控辍保学劝返", "", 0, ""),),
        ages=(12, 16),
    ),
    Script(
        "350724001", C.DOMESTIC_VIOLENCE, "woman", lambda m: True, 9 * D,
        "{name}（{age}岁）到社区反映，丈夫返乡后多次酒后动手打人，现丈夫仍在家中。",
        "{name}家中", ("陈丽萍", "{village}居民委员会"), "county", "county", police=True,
        action="社区已陪同其报警并到医院验伤",
        moves=((S.ACCEPTED, 9 * D - 0.5, ""), (S.INVESTIGATING, 200, ""),
               (S.SUPPORT, 140, "落实人身安全保护和妇联帮扶")),
        notes=((7 * D, "丈夫已返回务工地，当事人情绪稳定"), (3 * D, "妇联执委每周联系一次")),
        referrals=((G.POLICE, 215, "请派出所依法处置", R.DONE, 7 * D,
                    "已对其丈夫出具家庭暴力告诫书"),
                   (G.WOMEN_FEDERATION, 8 * D, "请妇联提供维权帮助", R.ACCEPTED, 8 * D - 2,
                    "妇联执委已结对联系"),
                   (G.LEGAL_AID, 6 * D, "协助申请人身安全保护令", R.DONE, 4 * D,
                    "法院已签发人身安全保护令")),
        reassess=((8 * D, {"safety": "violence", "mental": "unstable"}, "强制报告后评估"),),
    ),  # fmt: skip
]  # fmt: skip


@dataclass
class Planned:
    script: Script
    village: str
    people: list[Member] = field(default_factory=list)


class Cases:
    """Chooses who each case is about (before the assessments, which the cases
    change), then files and handles the cases through the services."""

    def __init__(self, *, county: County, rng: random.Random, now: dt.datetime):
        self.county, self.rng, self.now = county, rng, now
        self.planned: list[Planned] = []

    def at(self, hours_ago: float) -> dt.datetime:
        return self.now - dt.timedelta(hours=hours_ago)

    def day(self, hours_ago: float) -> dt.date:
        return timezone.localtime(self.at(hours_ago)).date()

    # --- planning -----------------------------------------------------------------

    def plan(self) -> dict[int, list[Reassessment]]:
        """Who each case is about; returns the reassessments the cases ask for."""
        county, taken = self.county, set()
        townships = sorted(county.townships)
        if not townships or county.county_admin is None:
            return {}
        reassess: dict[int, list[Reassessment]] = {}
        for n, script in enumerate(SCRIPTS):
            township = script.township + "000" if script.township + "000" in county.townships else (
                townships[n % len(townships)]
            )  # fmt: skip
            reported = self.day(script.hours_ago)
            villages = [code for code in county.villages if code.startswith(township[:9])]
            if script.village in county.villages:
                villages = [script.village]
            elif script.other_village and len(villages) > 1:
                villages = [code for code in villages if code != DEMO_VILLAGE]
            low, high = script.ages
            candidates = [
                m
                for code in villages
                for m in county.by_village.get(code, [])
                if m.pk not in taken
                and m.since <= reported - dt.timedelta(days=30)
                and m.group(reported) == script.group
                and low <= m.age_on(reported) < high
            ]
            preferred = [m for m in candidates if script.want(m)] or candidates
            if preferred:
                person = self.rng.choice(preferred)
                planned = Planned(script, person.village, [person])
                taken.add(person.pk)
                reassess[person.pk] = [
                    Reassessment(self.day(hours), answers, note)
                    for hours, answers, note in script.reassess
                ]
            else:
                planned = Planned(script, self.rng.choice(villages))
            self.planned.append(planned)
        return reassess

    # --- handling -----------------------------------------------------------------

    def user(self, level: str, village: str) -> User:
        county = self.county
        if level == "village" and village in county.workers:
            return county.workers[village]
        if level in ("village", "supervisor") and village[:9] + "000" in county.supervisors:
            return county.supervisors[village[:9] + "000"]
        return county.county_admin

    def run(self) -> list[ProtectionCase]:
        # The services log every report and escalation; a demo load need not.
        logger = logging.getLogger("shouwang.protection")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            cases = [self._run(planned) for planned in self.planned]
            deadlines_check(now=self.now)
        finally:
            logger.setLevel(level)
        return cases

    def _run(self, planned: Planned) -> ProtectionCase:
        script, county, rng = planned.script, self.county, self.rng
        village = county.villages[planned.village]
        township = county.townships.get(village.parent_id, "")
        person = planned.people[0] if planned.people else None
        words = {
            "village": village.name,
            "stem": township.removesuffix("街道").removesuffix("镇").removesuffix("乡"),
            "name": person.name if person else UNKNOWN[script.group],
            "age": person.age_on(self.day(script.hours_ago)) if person else "",
        }
        filer = self.user(script.filer, village.code)
        handler = self.user(script.handler, village.code)
        reported_at = self.at(script.hours_ago)
        discovered_at = reported_at - dt.timedelta(minutes=rng.randint(40, 180))
        reporter_name, reporter_org = script.reporter
        # Nobody of that kind on file there: the report describes someone not on file.
        description = script.description.format(**words).replace("（岁）", "")
        case = case_report(
            user=filer,
            village=village,
            category=script.category,
            description=description,
            discovered_at=discovered_at,
            discovered_place=script.place.format(**words),
            reporter_name=reporter_name.format(**words) or filer.full_name or filer.username,
            people=Person.objects.filter(pk__in=[m.pk for m in planned.people]),
            others_involved="" if person else f"{UNKNOWN[script.group]}（未建档）",
            channel=script.channel,
            reporter_phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            reporter_org=reporter_org.format(**words),
            immediate_action=script.action,
            police_notified=script.police,
            police_notified_at=discovered_at + dt.timedelta(minutes=20) if script.police else None,
            now=reported_at,
        )
        team = [filer, handler]
        if script.handler == "village":
            team.append(self.user("supervisor", village.code))
        team = list(dict.fromkeys(u for u in team if u.role != Role.COUNTY_ADMIN)) or [handler]
        case_assign(user=county.county_admin, case=case, assignees=team)
        steps = [(m[1], "move", m) for m in script.moves]
        steps += [(n[0], "note", n) for n in script.notes]
        steps += [(r[1], "refer", r) for r in script.referrals]
        steps += [(r[4], "answer", r) for r in script.referrals if r[3]]
        steps += [(i[1], "intervene", i) for i in script.interventions]
        referrals = {}
        for hours, kind, step in sorted(steps, key=lambda s: -s[0]):
            if kind == "move":
                state, _hours, note = step
                # Accepting and closing are the township's (or the county's).
                township_step = state in (S.ACCEPTED, S.CLOSED)
                closer = self.user("supervisor", village.code) if township_step else handler
                case = case_transition(
                    user=closer, case=case, to_state=state, note=note, now=self.at(hours)
                )
            elif kind == "note":
                note = case_note_add(user=handler, case=case, text=step[1])
                # The service stamps the note with the real time; the demo's is earlier.
                CaseNote.objects.filter(pk=note.pk).update(created_at=self.at(hours))
            elif kind == "refer":
                referrals[step] = referral_add(
                    user=handler, case=case, agency=step[0], referred_on=self.day(hours),
                    note=step[2],
                )  # fmt: skip
            elif kind == "answer":
                referral_answer(
                    user=handler, referral=referrals[step], answer=step[3],
                    answered_on=self.day(hours), answer_note=step[5],
                )  # fmt: skip
            else:
                intervention_add(
                    user=handler, case=case, kind=step[0], on=self.day(hours), note=step[2]
                )
        return case


def demo_now(today: dt.date) -> dt.datetime:
    """The demo's "now": the present moment when loading for today, else 17:00 that day."""
    if today == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(today, dt.time(17, 0)))
