"""The risk assessment rubric (风险评估量表) and how a level is computed — pure logic.

Each item belongs to a domain (guardianship, safety, health, schooling, economic
situation, the elderly's living and dependence) and applies to children, women
or the elderly; every item that applies to the person is mandatory. Each answer
scores points; the total decides the level through the scale's thresholds
(`RiskGrade.min_score`, configuration). Red flags (无人监护, a child under 16
living alone, an elderly person living alone and dependent …) force the highest
level whatever the total.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

CHILD, WOMAN, ELDERLY = "child", "woman", "elderly"


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    score: int


@dataclass(frozen=True)
class Item:
    code: str
    domain: str
    label: str
    subjects: frozenset[str]
    options: tuple[Option, ...]

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class RedFlag:
    code: str
    label: str
    applies: Callable[[dict[str, str], int], bool]  # (answers, age) -> raised


def _item(code, domain, label, subjects, *options) -> Item:
    return Item(code, domain, label, frozenset(subjects),
                tuple(Option(v, lab, s) for v, lab, s in options))  # fmt: skip


ITEMS: tuple[Item, ...] = (
    _item(
        "guardianship",
        _("监护"),
        _("监护状况"),
        {CHILD},
        ("good", _("监护情况较好"), 0),
        ("average", _("监护情况一般"), 1),
        ("insufficient", _("受委托监护人监护能力不足"), 3),
        ("parent_incapable", _("父或母无监护能力"), 3),
        ("none", _("无人监护"), 5),
    ),
    _item(
        "living",
        _("监护"),
        _("居住情况"),
        {CHILD},
        ("with_guardian", _("与监护人同住"), 0),
        ("with_relatives", _("寄住亲友家"), 1),
        ("boarding", _("寄宿学校"), 1),
        ("alone", _("单独居住"), 4),
    ),
    _item(
        "safety",
        _("安全"),
        _("安全状况"),
        {CHILD, WOMAN, ELDERLY},
        ("safe", _("无安全隐患"), 0),
        ("hazard", _("居所或周边有安全隐患"), 2),
        ("bullying", _("遭受欺凌或威胁"), 3),
        ("violence", _("疑似遭受暴力、虐待"), 5),
    ),
    _item(
        "physical",
        _("身体健康"),
        _("身体健康"),
        {CHILD, WOMAN, ELDERLY},
        ("healthy", _("健康"), 0),
        ("chronic", _("慢性病"), 1),
        ("disabled", _("残疾"), 2),
        ("serious", _("重病"), 3),
    ),
    _item(
        "mental",
        _("心理健康"),
        _("心理健康"),
        {CHILD, WOMAN, ELDERLY},
        ("good", _("良好"), 0),
        ("unstable", _("情绪不稳、孤独"), 1),
        ("marked", _("明显心理问题"), 3),
        ("self_harm", _("有自伤自杀倾向"), 5),
    ),
    _item(
        "schooling",
        _("就学"),
        _("就学情况"),
        {CHILD},
        ("normal", _("正常就学或未到学龄"), 0),
        ("struggling", _("厌学、学习困难"), 1),
        ("truant", _("经常旷课"), 2),
        ("dropped_out", _("辍学"), 3),
    ),
    _item(
        "economic",
        _("经济状况"),
        _("经济状况"),
        {CHILD, WOMAN, ELDERLY},
        ("normal", _("基本生活有保障"), 0),
        ("difficult", _("生活困难"), 2),
        ("very_difficult", _("特别困难（低保、特困）"), 3),
    ),
    _item(
        "elderly_living",
        _("独居"),
        _("居住情况"),
        {ELDERLY},
        ("with_family", _("与家人同住"), 0),
        ("with_spouse", _("与配偶同住（空巢）"), 1),
        ("alone", _("独居"), 3),
    ),
    _item(
        "dependence",
        _("自理能力"),
        _("自理能力"),
        {ELDERLY},
        ("independent", _("能自理"), 0),
        ("semi", _("半失能"), 2),
        ("full", _("失能"), 4),
    ),
)
RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag("unsupervised", _("无人监护"), lambda a, age: a.get("guardianship") == "none"),
    RedFlag("child_alone", _("未满16周岁单独居住"),
            lambda a, age: a.get("living") == "alone" and age < 16),
    RedFlag("violence", _("疑似遭受暴力、虐待"), lambda a, age: a.get("safety") == "violence"),
    RedFlag("self_harm", _("有自伤自杀倾向"), lambda a, age: a.get("mental") == "self_harm"),
    RedFlag("elderly_alone_dependent", _("独居且失能或半失能"),
            lambda a, age: a.get("elderly_living") == "alone"
            and a.get("dependence") in ("semi", "full")),
)  # fmt: skip
ITEMS_BY_CODE = {item.code: item for item in ITEMS}


def subject_of(*, age: int, programs: Iterable[str]) -> str:
    """Which part of the rubric applies: by program when enrolled, else by age."""
    programs = set(programs)
    if programs & {"left_behind_child", "child_in_difficulty"}:
        return CHILD
    if "left_behind_elderly" in programs:
        return ELDERLY
    if "left_behind_woman" in programs:
        return WOMAN
    if age < 18:
        return CHILD
    return ELDERLY if age >= 60 else WOMAN


def items_for(subject: str) -> list[Item]:
    return [item for item in ITEMS if subject in item.subjects]


@dataclass(frozen=True)
class Grading:
    score: int
    red_flags: tuple[str, ...]
    rank: int  # 1 is the highest level of the scale


@dataclass(frozen=True)
class Threshold:
    rank: int
    min_score: int


def answer_errors(subject: str, answers: dict[str, str]) -> dict[str, str]:
    """{item: message} for every mandatory item unanswered or answered off the list."""
    errors = {}
    for item in items_for(subject):
        value = answers.get(item.code, "")
        if not value:
            errors[item.code] = _("请评估此项")
        elif item.option(value) is None:
            errors[item.code] = _("请选择列出的选项")
    return errors


def grade(
    *, subject: str, answers: dict[str, str], age: int, thresholds: Sequence[Threshold]
) -> Grading:
    """Score complete, valid answers and pick the level: the highest-ranked level
    whose threshold the total reaches; any red flag forces rank 1."""
    if errors := answer_errors(subject, answers):
        raise ValueError(f"incomplete answers: {sorted(errors)}")
    items = items_for(subject)
    score = sum(item.option(answers[item.code]).score for item in items)
    flags = tuple(f.code for f in RED_FLAGS if f.applies(answers, age))
    ordered = sorted(thresholds, key=lambda t: t.rank)
    if flags:
        return Grading(score, flags, ordered[0].rank)
    for threshold in ordered:
        if score >= threshold.min_score:
            return Grading(score, flags, threshold.rank)
    return Grading(score, flags, ordered[-1].rank)


def red_flag_labels(codes: Iterable[str]) -> list[str]:
    labels = {f.code: f.label for f in RED_FLAGS}
    return [str(labels.get(code, code)) for code in codes]


def answer_labels(answers: dict[str, str]) -> list[tuple[str, str, int]]:
    """(item label, answer label, score) of stored answers, in rubric order."""
    rows = []
    for item in ITEMS:
        if item.code in answers and (option := item.option(answers[item.code])):
            rows.append((str(item.label), str(option.label), option.score))
    return rows


def max_score(subject: str) -> int:
    return sum(max(o.score for o in item.options) for item in items_for(subject))
