"""The protection case state machine, as pure data and checks (no database).

A case moves 已报告 → 已受理 → 应急处置 → 调查评估 → 帮扶 / 监护干预 → 跟踪回访 → 结案.
Emergency handling may be skipped when the child is already safe; support and
guardianship intervention may follow each other; follow-up may send a case back
to support. A closed case reopens only into investigation, with a reason.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from shouwang.protection.choices import CaseState as S

TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.REPORTED: (S.ACCEPTED,),
    S.ACCEPTED: (S.EMERGENCY, S.INVESTIGATING),
    S.EMERGENCY: (S.INVESTIGATING,),
    S.INVESTIGATING: (S.SUPPORT, S.INTERVENTION),
    S.SUPPORT: (S.INTERVENTION, S.FOLLOW_UP),
    S.INTERVENTION: (S.SUPPORT, S.FOLLOW_UP),
    S.FOLLOW_UP: (S.SUPPORT, S.CLOSED),
    S.CLOSED: (S.INVESTIGATING,),
}

# States in which a case is open and has a deadline to move on.
OPEN_STATES = tuple(state for state in S.values if state != S.CLOSED)


def is_reopening(current: str, target: str) -> bool:
    return current == S.CLOSED


def transition_error(
    current: str, target: str, *, note: str, may_sign_off: bool, may_accept: bool = True
) -> str | None:
    """Why the move from `current` to `target` is refused, or None when it is legal.

    Accepting a report is the township's (`oversee_cases`), so a reporter cannot
    accept their own report; closing needs the supervisor's sign-off (the
    `signoff_case` permission) and a closing summary; reopening a closed case needs
    the same permission and a reason.
    """
    if target not in S.values:
        return _("请选择下一步状态")
    if target not in TRANSITIONS.get(current, ()):
        if target == S.CLOSED:
            return _("案件尚未受理并完成跟踪回访，不能结案（当前：%(state)s）") % {
                "state": S(current).label
            }
        return _("案件不能从「%(current)s」转为「%(target)s」") % {
            "current": S(current).label,
            "target": S(target).label,
        }
    if target == S.ACCEPTED and not may_accept:
        return _("报告须由乡镇督导员或县级保护工作人员受理")
    if target == S.CLOSED:
        if not may_sign_off:
            return _("结案须由乡镇督导员或县级保护工作人员审核签字")
        if not note.strip():
            return _("结案请填写结案意见")
    if is_reopening(current, target):
        if not may_sign_off:
            return _("重新开启已结案件须由乡镇督导员或县级保护工作人员决定")
        if not note.strip():
            return _("重新开启已结案件须说明理由")
    return None
