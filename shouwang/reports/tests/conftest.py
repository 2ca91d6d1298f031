"""The dashboard's hand-counted county (shouwang/dashboard/tests/conftest.py), read
on Sunday 22 November 2026 (2026Q4), with a few traits more for the report's
columns:

- 子一 (郑墩镇, left-behind child) receives 低保;
- 子四 (渭田镇, child in difficulty) is in the categories 家庭贫困 and 监护缺失或不当;
- 老一 (郑墩镇) is 特困; 老二 lives alone and is 半失能.

Everything else is the dashboard's table: left-behind children 子一 子二 子三 (all
in 郑墩镇), children in difficulty 子三 (郑墩镇, also left behind) and 子四 (渭田镇),
women 妇一 (郑墩镇) and 妇二 (渭田镇), elderly 老一 老二 老三 (郑墩镇; 丁 exited on
11-10, 迁 moved out). Two volunteers in 郑墩镇 with three pairings; fourteen
contacts in the quarter; cases: 郑墩镇 two reported in the quarter (one of them
closed), one open since September; 渭田镇 one reported and accepted in October.
"""

import pytest
import time_machine

from shouwang.dashboard.tests.conftest import NOW, TODAY, county, stranger  # noqa: F401
from shouwang.people.models import Person


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def report_county(county):  # noqa: F811
    Person.objects.filter(pk=county["子一"].pk).update(dibao=True)
    Person.objects.filter(pk=county["子四"].pk).update(difficulty_codes=",guardianship,poverty,")
    Person.objects.filter(pk=county["老一"].pk).update(tekun=True)
    Person.objects.filter(pk=county["老二"].pk).update(lives_alone=True, dependence="semi")
    return county


__all__ = ["TODAY"]
