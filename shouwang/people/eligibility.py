"""Who counts as left behind: the eligibility rules of the four programs.

Pure logic. The caller builds `PersonFacts` from the models and passes the program's
configured parameters; `evaluate` answers with a `Verdict` that says whether the
person is eligible on a given date, why (a Chinese sentence), and — when not — which
exit reason the cause maps to. Nothing here touches the database.

The rules (docs/domain.md §1), each with its national default (`DEFAULT_PARAMS`,
version `DEFAULT_PARAMS_VERSION`):

- 农村留守儿童 (国发〔2016〕13号): under `age_limit` (16), and the parents meet
  `parents_rule` — both away; or both away, or one away and the other without
  guardianship capacity (the default); or, in the pre-2016 variant, at least one away.
  A parent is away when `away` is true and they were away at least `min_months_away`
  (6) of the last 12 months.
- 困境儿童 (国发〔2016〕36号 and local typologies): under `age_limit` (18) and in at
  least one of the enabled `categories`.
- 留守妇女: a woman, married (when `require_married`), aged `min_age`..`max_age`
  inclusive (20–59), whose husband is away at least `min_months_away` months.
- 留守老年人: aged `min_age` (60) or more, with at least one living child, and every
  living child away at least `min_months_away` months.

Ages are completed years (`age_on`). Someone born on 29 February has a birthday on
29 February in leap years and on 1 March in other years: they turn 16 on 1 March,
not on 28 February, when their 16th birthday falls in a common year.

Parameters are validated when a configuration is saved (`validate_params`, which
raises `ValidationError`); `evaluate` checks them again and raises `ValueError`, so
a bad configuration can never decide a case.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

__all__ = [
    "DEFAULT_PARAMS",
    "DEFAULT_PARAMS_VERSION",
    "NATIONAL_CATEGORIES",
    "DifficultyCategory",
    "ExitReason",
    "ParentFacts",
    "ParentsRule",
    "PersonFacts",
    "Program",
    "RelativeAwayFacts",
    "Verdict",
    "age_on",
    "birthday_on_or_after",
    "evaluate",
    "exit_reason_text",
    "validate_params",
]


class Program(TextChoices):
    LEFT_BEHIND_CHILD = "left_behind_child", gettext_lazy("农村留守儿童")
    CHILD_IN_DIFFICULTY = "child_in_difficulty", gettext_lazy("困境儿童")
    LEFT_BEHIND_WOMAN = "left_behind_woman", gettext_lazy("留守妇女")
    LEFT_BEHIND_ELDERLY = "left_behind_elderly", gettext_lazy("留守老年人")


class ExitReason(TextChoices):
    """Why a person leaves a program. The label of AGE_LIMIT names the national
    default; use `exit_reason_text` to show the configured limit."""

    PARENTS_RETURNED = "parents_returned", gettext_lazy("父母返乡")
    AGE_LIMIT = "age_limit", gettext_lazy("年满16周岁")
    MOVED_OUT = "moved_out", gettext_lazy("迁出")
    DECEASED = "deceased", gettext_lazy("死亡")
    OTHER = "other", gettext_lazy("其他")


class DifficultyCategory(TextChoices):
    # National (国发〔2016〕36号).
    POVERTY = "poverty", gettext_lazy("家庭贫困")
    DISABILITY = "disability", gettext_lazy("自身残疾")
    GUARDIANSHIP = "guardianship", gettext_lazy("监护缺失或不当")
    # Local typologies.
    ORPHAN = "orphan", gettext_lazy("孤儿")
    DE_FACTO_UNSUPPORTED = "de_facto_unsupported", gettext_lazy("事实无人抚养儿童")
    SERIOUS_ILLNESS = "serious_illness", gettext_lazy("重病重残儿童")
    DIBAO_FAMILY = "dibao_family", gettext_lazy("低保家庭儿童")


NATIONAL_CATEGORIES: frozenset[str] = frozenset(
    {DifficultyCategory.POVERTY, DifficultyCategory.DISABILITY, DifficultyCategory.GUARDIANSHIP}
)


class ParentsRule(TextChoices):
    """The values of the left-behind child's `parents_rule` parameter."""

    BOTH_AWAY = "both_away", gettext_lazy("父母均外出")
    BOTH_AWAY_OR_ONE_INCAPABLE = (
        "both_away_or_one_incapable",
        gettext_lazy("父母均外出，或一方外出、另一方无监护能力"),
    )
    ONE_AWAY = "one_away", gettext_lazy("父母至少一方外出")


DEFAULT_PARAMS_VERSION = 1

# The national defaults. Never mutated: `validate_params` returns deep copies.
DEFAULT_PARAMS: dict[str, dict] = {
    Program.LEFT_BEHIND_CHILD.value: {
        "age_limit": 16,
        "parents_rule": ParentsRule.BOTH_AWAY_OR_ONE_INCAPABLE.value,
        "min_months_away": 6,
    },
    Program.CHILD_IN_DIFFICULTY.value: {
        "age_limit": 18,
        "categories": [
            DifficultyCategory.POVERTY.value,
            DifficultyCategory.DISABILITY.value,
            DifficultyCategory.GUARDIANSHIP.value,
            DifficultyCategory.ORPHAN.value,
            DifficultyCategory.DE_FACTO_UNSUPPORTED.value,
        ],
    },
    Program.LEFT_BEHIND_WOMAN.value: {
        "min_age": 20,
        "max_age": 59,
        "require_married": True,
        "min_months_away": 6,
    },
    Program.LEFT_BEHIND_ELDERLY.value: {
        "min_age": 60,
        "min_months_away": 6,
    },
}

FATHER = "father"
MOTHER = "mother"
_ROLES = (FATHER, MOTHER)
_SEXES = frozenset({"M", "F"})


# --- Ages ------------------------------------------------------------------------------


def age_on(birth_date: date, on: date) -> int:
    """Completed years of someone born on `birth_date`, on the day `on`.

    The age goes up on the birthday itself. Someone born on 29 February turns a year
    older on 29 February in leap years and on 1 March in common years (so on
    28 February of a common year they are still the younger age).
    Raises ValueError when `on` is before `birth_date`.
    """
    if on < birth_date:
        raise ValueError(f"{on} is before the birth date {birth_date}")
    # Comparing (month, day) gives the 1 March convention for free: (2, 28) < (2, 29)
    # and (3, 1) > (2, 29).
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - before_birthday


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier (28 February for 29 February in a common year).
    Someone is at least N years old on `day` when born on or before years_before(day, N)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def birthday_on_or_after(birth_date: date, years: int) -> date:
    """The day someone born on `birth_date` reaches `years` completed years.

    Holds: `age_on(birth_date, d) == years` for the returned `d`, and the day before
    it they are `years - 1`. A 29 February birth reaches its age on 1 March when that
    year is not a leap year (the convention of `age_on`).
    Raises ValueError when `years` is negative.
    """
    if years < 0:
        raise ValueError(f"years must not be negative, got {years}")
    year = birth_date.year + years
    try:
        return birth_date.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


# --- Facts ------------------------------------------------------------------------------


def _check_months(months: int | None) -> None:
    if months is not None and (
        isinstance(months, bool) or not isinstance(months, int) or not 0 <= months <= 12
    ):
        raise ValueError(f"months_away_12 must be None or an int in 0..12, got {months!r}")


@dataclass(frozen=True)
class ParentFacts:
    """One parent of a child. `away`: working away now; `months_away_12`: months away
    in the last 12 (None when not recorded); `capable`: has guardianship capacity.
    A parent who is not living is never taken as away."""

    role: str  # "father" | "mother"
    away: bool
    months_away_12: int | None
    capable: bool
    living: bool = True

    def __post_init__(self) -> None:
        if self.role not in _ROLES:
            raise ValueError(f"role must be 'father' or 'mother', got {self.role!r}")
        _check_months(self.months_away_12)


@dataclass(frozen=True)
class RelativeAwayFacts:
    """A husband or a child of the person: whether they are away, and for how long."""

    away: bool
    months_away_12: int | None
    living: bool = True

    def __post_init__(self) -> None:
        _check_months(self.months_away_12)


@dataclass(frozen=True)
class PersonFacts:
    """What the rules need to know about one person.

    `parents` lists the parents the file knows of, at most one per role; a parent who
    is not listed is taken as missing (下落不明). Lists are accepted and stored as a
    tuple / frozenset. Difficulty categories must be `DifficultyCategory` codes.
    """

    birth_date: date
    sex: str  # "M" / "F"
    living: bool = True
    moved_out: bool = False
    parents: tuple[ParentFacts, ...] = ()
    married: bool = False
    spouse: RelativeAwayFacts | None = None
    children: tuple[RelativeAwayFacts, ...] = ()
    difficulty_categories: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "parents", tuple(self.parents))
        object.__setattr__(self, "children", tuple(self.children))
        object.__setattr__(self, "difficulty_categories", frozenset(self.difficulty_categories))
        if self.sex not in _SEXES:
            raise ValueError(f"sex must be 'M' or 'F', got {self.sex!r}")
        roles = [parent.role for parent in self.parents]
        if len(roles) != len(set(roles)):
            raise ValueError(f"at most one parent per role, got {roles}")
        unknown = self.difficulty_categories - set(DifficultyCategory.values)
        if unknown:
            raise ValueError(f"unknown difficulty categories: {sorted(unknown)}")

    def parent(self, role: str) -> ParentFacts | None:
        """The listed parent with this role, or None when missing."""
        return next((parent for parent in self.parents if parent.role == role), None)


@dataclass(frozen=True)
class Verdict:
    program: str
    eligible: bool
    reason: str  # Chinese sentence explaining why
    exit_reason: str | None  # ExitReason code when not eligible and the cause maps to one


# --- Parameters -----------------------------------------------------------------------


def _int_between(low: int, high: int) -> Callable[[str, Any], list[ValidationError]]:
    def check(key: str, value: Any) -> list[ValidationError]:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return [
                ValidationError(
                    _("参数 %(key)s 必须是 %(low)d 至 %(high)d 之间的整数"),
                    code="invalid_param",
                    params={"key": key, "low": low, "high": high},
                )
            ]
        return []

    return check


def _boolean(key: str, value: Any) -> list[ValidationError]:
    if not isinstance(value, bool):
        return [
            ValidationError(
                _("参数 %(key)s 必须是 true 或 false"),
                code="invalid_param",
                params={"key": key},
            )
        ]
    return []


def _parents_rule(key: str, value: Any) -> list[ValidationError]:
    if value not in ParentsRule.values:
        return [
            ValidationError(
                _("参数 %(key)s 必须是以下之一：%(choices)s"),
                code="invalid_param",
                params={"key": key, "choices": "、".join(ParentsRule.values)},
            )
        ]
    return []


def _categories(key: str, value: Any) -> list[ValidationError]:
    if not isinstance(value, list | tuple | set | frozenset) or not all(
        isinstance(code, str) for code in value
    ):
        return [
            ValidationError(
                _("参数 %(key)s 必须是困境类别代码的列表"),
                code="invalid_param",
                params={"key": key},
            )
        ]
    unknown = sorted(set(value) - set(DifficultyCategory.values))
    if unknown:
        return [
            ValidationError(
                _("参数 %(key)s 含有未知的困境类别：%(codes)s"),
                code="invalid_param",
                params={"key": key, "codes": "、".join(unknown)},
            )
        ]
    if not value:
        return [
            ValidationError(
                _("参数 %(key)s 至少要启用一个困境类别"),
                code="invalid_param",
                params={"key": key},
            )
        ]
    return []


_CHECKS: dict[str, dict[str, Callable[[str, Any], list[ValidationError]]]] = {
    Program.LEFT_BEHIND_CHILD.value: {
        "age_limit": _int_between(1, 18),
        "parents_rule": _parents_rule,
        "min_months_away": _int_between(0, 12),
    },
    Program.CHILD_IN_DIFFICULTY.value: {
        "age_limit": _int_between(1, 18),
        "categories": _categories,
    },
    Program.LEFT_BEHIND_WOMAN.value: {
        "min_age": _int_between(16, 70),
        "max_age": _int_between(16, 70),
        "require_married": _boolean,
        "min_months_away": _int_between(0, 12),
    },
    Program.LEFT_BEHIND_ELDERLY.value: {
        "min_age": _int_between(50, 80),
        "min_months_away": _int_between(0, 12),
    },
}


def validate_params(program: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The program's parameters, checked and completed with `DEFAULT_PARAMS`.

    Holds for the result: exactly the keys of the program's defaults, every value of
    the right type and range, `categories` a list in `DifficultyCategory` order
    without repeats, and a fresh object (changing it changes no default).
    Raises ValidationError listing every problem, each message naming its key.
    """
    if program not in _CHECKS:
        raise ValidationError(
            _("未知的项目：%(program)s"), code="unknown_program", params={"program": program}
        )
    if not isinstance(params, Mapping):
        raise ValidationError(_("参数必须是键值对（JSON 对象）"), code="invalid_params")
    checks = _CHECKS[program]
    errors = [
        ValidationError(_("未知的参数 %(key)s"), code="unknown_param", params={"key": key})
        for key in sorted(map(str, set(params) - set(checks)))
    ]
    cleaned = copy.deepcopy(DEFAULT_PARAMS[program])
    for key, value in params.items():
        if key in checks:
            key_errors = checks[key](key, value)
            errors.extend(key_errors)
            if not key_errors:
                cleaned[key] = copy.deepcopy(value)
    if "categories" in cleaned:
        enabled = set(cleaned["categories"])
        cleaned["categories"] = [code for code in DifficultyCategory.values if code in enabled]
    if "max_age" in cleaned and cleaned["min_age"] > cleaned["max_age"]:
        errors.append(
            ValidationError(
                _("参数 min_age（%(min_age)d）不能大于 max_age（%(max_age)d）"),
                code="invalid_param",
                params={"min_age": cleaned["min_age"], "max_age": cleaned["max_age"]},
            )
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


def exit_reason_text(reason: str, params: Mapping[str, Any]) -> str:
    """The label of an exit reason; for `age_limit`, with the configured limit.

    `params` are the program's cleaned parameters (`validate_params`): the limit is
    `age_limit`, or `max_age + 1` for programs with an upper age (年满60周岁 when
    women are counted up to 59). Raises ValueError for an unknown reason, or for
    `age_limit` with parameters that carry no upper age.
    """
    reason = ExitReason(reason)
    if reason != ExitReason.AGE_LIMIT:
        return str(reason.label)
    if "age_limit" in params:
        limit = params["age_limit"]
    elif "max_age" in params:
        limit = params["max_age"] + 1
    else:
        raise ValueError("these parameters have no upper age; pass the cleaned parameters")
    return _("年满%(age)d周岁") % {"age": limit}


# --- Evaluation -----------------------------------------------------------------------


def _away_phrase(min_months: int) -> str:
    if min_months == 0:
        return _("外出务工")
    return _("外出务工%(months)d个月以上") % {"months": min_months}


def _counts_as_away(relative: ParentFacts | RelativeAwayFacts, min_months: int) -> bool:
    """Living, away now, and away at least `min_months` of the last 12 months (months
    not recorded meet only a zero minimum)."""
    if not (relative.living and relative.away):
        return False
    if min_months == 0:
        return True
    return relative.months_away_12 is not None and relative.months_away_12 >= min_months


def _away_status(who: str, relative: ParentFacts | RelativeAwayFacts, min_months: int) -> str:
    """A clause describing where a relative is, as the rules see it."""
    if not relative.living:
        return _("%(who)s已故") % {"who": who}
    if _counts_as_away(relative, min_months):
        return who + _away_phrase(min_months)
    if not relative.away:
        if isinstance(relative, ParentFacts) and not relative.capable:
            return _("%(who)s在家，无监护能力") % {"who": who}
        return _("%(who)s在家") % {"who": who}
    if relative.months_away_12 is None:
        return _("%(who)s外出务工时长未登记") % {"who": who}
    return _("%(who)s近12个月外出务工%(months)d个月，不足%(min)d个月") % {
        "who": who,
        "months": relative.months_away_12,
        "min": min_months,
    }


def _parent_name(role: str) -> str:
    return _("父亲") if role == FATHER else _("母亲")


def _incapacity(parent: ParentFacts | None) -> str | None:
    """Why a parent cannot be the guardian at home, or None when they can."""
    if parent is None:
        return _("下落不明")
    if not parent.living:
        return _("已故")
    if not parent.capable:
        return _("无监护能力")
    return None


def _left_behind_child(params: dict[str, Any], facts: PersonFacts, on: date) -> Verdict:
    program = Program.LEFT_BEHIND_CHILD.value
    limit, rule, min_months = params["age_limit"], params["parents_rule"], params["min_months_away"]
    if age_on(facts.birth_date, on) >= limit:
        return Verdict(
            program,
            False,
            _("已年满%(limit)d周岁") % {"limit": limit},
            ExitReason.AGE_LIMIT.value,
        )
    parents = {role: facts.parent(role) for role in _ROLES}
    away = [role for role in _ROLES if parents[role] and _counts_as_away(parents[role], min_months)]
    phrase = _away_phrase(min_months)

    basis = None
    if len(away) == 2:
        basis = _("父母均%(away)s") % {"away": phrase}
    elif len(away) == 1:
        (away_role,) = away
        other_role = MOTHER if away_role == FATHER else FATHER
        incapacity = _incapacity(parents[other_role])
        if rule == ParentsRule.ONE_AWAY:
            basis = _parent_name(away_role) + phrase
        elif rule == ParentsRule.BOTH_AWAY_OR_ONE_INCAPABLE and incapacity:
            basis = _("%(away_parent)s%(away)s，%(other_parent)s%(incapacity)s") % {
                "away_parent": _parent_name(away_role),
                "away": phrase,
                "other_parent": _parent_name(other_role),
                "incapacity": incapacity,
            }
    if basis:
        return Verdict(
            program,
            True,
            _("未满%(limit)d周岁，%(basis)s") % {"limit": limit, "basis": basis},
            None,
        )

    statuses = [
        _away_status(_parent_name(role), parent, min_months)
        if parent
        else _("%(who)s下落不明") % {"who": _parent_name(role)}
        for role, parent in parents.items()
    ]
    rule_text = {
        ParentsRule.BOTH_AWAY: _("父母均%(away)s"),
        ParentsRule.BOTH_AWAY_OR_ONE_INCAPABLE: _(
            "父母均%(away)s，或一方%(away)s、另一方无监护能力"
        ),
        ParentsRule.ONE_AWAY: _("父母至少一方%(away)s"),
    }[ParentsRule(rule)] % {"away": phrase}
    # A living parent who is at home (or not away long enough) means the parents
    # have come back; when no parent is alive and known, no exit reason applies.
    someone_home = any(
        parent and parent.living and role not in away for role, parent in parents.items()
    )
    return Verdict(
        program,
        False,
        _("%(statuses)s，不符合“%(rule)s”的条件")
        % {"statuses": "，".join(statuses), "rule": rule_text},
        ExitReason.PARENTS_RETURNED.value if someone_home else None,
    )


def _child_in_difficulty(params: dict[str, Any], facts: PersonFacts, on: date) -> Verdict:
    program = Program.CHILD_IN_DIFFICULTY.value
    limit = params["age_limit"]
    if age_on(facts.birth_date, on) >= limit:
        return Verdict(
            program,
            False,
            _("已年满%(limit)d周岁") % {"limit": limit},
            ExitReason.AGE_LIMIT.value,
        )

    def labels(codes: set[str]) -> str:
        return "、".join(str(c.label) for c in DifficultyCategory if c.value in codes)

    held = set(facts.difficulty_categories)
    enabled = held & set(params["categories"])
    if enabled:
        reason = _("未满%(limit)d周岁，属于%(categories)s") % {
            "limit": limit,
            "categories": labels(enabled),
        }
        return Verdict(program, True, reason, None)
    if not held:
        return Verdict(program, False, _("未登记困境类别"), None)
    reason = _("所登记的类别（%(categories)s）不在已启用的困境类别内") % {
        "categories": labels(held)
    }
    return Verdict(program, False, reason, None)


def _left_behind_woman(params: dict[str, Any], facts: PersonFacts, on: date) -> Verdict:
    program = Program.LEFT_BEHIND_WOMAN.value
    min_age, max_age = params["min_age"], params["max_age"]
    min_months = params["min_months_away"]

    def no(reason: str, exit_reason: str | None = None) -> Verdict:
        return Verdict(program, False, reason, exit_reason)

    if facts.sex != "F":
        return no(_("仅女性可认定为留守妇女"))
    age = age_on(facts.birth_date, on)
    if age < min_age:
        return no(_("未满%(age)d周岁") % {"age": min_age})
    if age > max_age:
        return no(_("已年满%(age)d周岁") % {"age": max_age + 1}, ExitReason.AGE_LIMIT.value)
    if params["require_married"] and not facts.married:
        return no(_("未处于已婚状态"))
    if facts.spouse is None:
        return no(_("未登记丈夫的外出情况"))
    husband = _away_status(_("丈夫"), facts.spouse, min_months)
    if not _counts_as_away(facts.spouse, min_months):
        return no(husband)
    clauses = [
        _("%(age)d周岁，在%(min)d至%(max)d周岁之间") % {"age": age, "min": min_age, "max": max_age}
    ]
    if facts.married:
        clauses.append(_("已婚"))
    clauses.append(husband)
    return Verdict(program, True, "，".join(clauses), None)


def _left_behind_elderly(params: dict[str, Any], facts: PersonFacts, on: date) -> Verdict:
    program = Program.LEFT_BEHIND_ELDERLY.value
    min_age, min_months = params["min_age"], params["min_months_away"]
    if age_on(facts.birth_date, on) < min_age:
        return Verdict(program, False, _("未满%(age)d周岁") % {"age": min_age}, None)
    living = [child for child in facts.children if child.living]
    if not living:
        return Verdict(program, False, _("无在世子女"), None)
    phrase = _away_phrase(min_months)
    home = sum(not _counts_as_away(child, min_months) for child in living)
    if home:
        reason = _("%(total)d名在世子女中有%(home)d名未%(away)s") % {
            "total": len(living),
            "home": home,
            "away": phrase,
        }
        return Verdict(program, False, reason, None)
    reason = _("年满%(age)d周岁，%(total)d名在世子女均%(away)s") % {
        "age": min_age,
        "total": len(living),
        "away": phrase,
    }
    return Verdict(program, True, reason, None)


_RULES: dict[str, Callable[[dict[str, Any], PersonFacts, date], Verdict]] = {
    Program.LEFT_BEHIND_CHILD.value: _left_behind_child,
    Program.CHILD_IN_DIFFICULTY.value: _child_in_difficulty,
    Program.LEFT_BEHIND_WOMAN.value: _left_behind_woman,
    Program.LEFT_BEHIND_ELDERLY.value: _left_behind_elderly,
}


def evaluate(program: str, params: Mapping[str, Any], facts: PersonFacts, on: date) -> Verdict:
    """Whether the person belongs to `program` on the day `on`, and why.

    `params` may leave out keys (the defaults fill them in). Holds: a person who has
    died is not eligible (exit reason `deceased`), one who has moved out neither
    (`moved_out`), before any rule of the program is looked at; an eligible verdict
    never carries an exit reason. Raises ValueError for an unknown program, unknown
    parameter keys or bad values, or `on` before the birth date (when the program's
    rules are reached).
    """
    try:
        cleaned = validate_params(program, params)
    except ValidationError as exc:
        raise ValueError("；".join(exc.messages)) from None
    program = Program(program).value
    if not facts.living:
        return Verdict(program, False, _("本人已故"), ExitReason.DECEASED.value)
    if facts.moved_out:
        return Verdict(program, False, _("本人已迁出"), ExitReason.MOVED_OUT.value)
    return _RULES[program](cleaned, facts, on)
