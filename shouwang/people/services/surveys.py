"""Survey rounds (摸底排查): every active file in an area verified in a period."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.people.choices import PersonStatus
from shouwang.people.models import Person, SurveyRound, Verification
from shouwang.regions.models import Area, Level


@transaction.atomic
def survey_round_open(
    *, user, area: Area, title: str, starts_on: dt.date, ends_on: dt.date
) -> SurveyRound:
    if not user.has_perm("people.add_surveyround"):
        raise PermissionDenied
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("请填写名称")})
    if not Area.objects.visible_to(user).filter(pk=area.pk).exists():
        raise ValidationError({"area": _("该地区不在您的管辖范围内")})
    if area.level not in (Level.COUNTY, Level.TOWNSHIP):
        raise ValidationError({"area": _("摸底排查的范围应为县或乡镇")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("截止日期不能早于开始日期")})
    return SurveyRound.objects.create(
        title=title, area=area, starts_on=starts_on, ends_on=ends_on, opened_by=user
    )


@transaction.atomic
def person_verify(
    *, user, survey: SurveyRound, person: Person, changed: bool = False, note: str = ""
) -> Verification:
    """Mark a file verified in the round (核实), during the round's period. The
    caller has looked `person` up in the user's scope."""
    if not user.has_perm("people.add_verification"):
        raise PermissionDenied
    today = timezone.localdate()
    if not survey.starts_on <= today <= survey.ends_on:
        raise ValidationError(
            _("本轮摸底排查的时间是 %(start)s 至 %(end)s")
            % {"start": survey.starts_on, "end": survey.ends_on}
        )
    if not person.village_id.startswith(survey.area.prefix):
        raise ValidationError(_("该档案不在本轮摸底排查的范围内"))
    if person.status != PersonStatus.ACTIVE:
        raise ValidationError(_("该档案已不在册，无需核实"))
    try:
        with transaction.atomic():
            return Verification.objects.create(
                round=survey, person=person, verified_by=user, changed=changed, note=note
            )
    except IntegrityError:
        raise ValidationError(_("该档案在本轮已核实")) from None
