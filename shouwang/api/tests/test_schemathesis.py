"""Fuzzing /api/v1/ from its own OpenAPI schema: whatever schemathesis sends —
valid requests and deliberately invalid ones — the API never answers 5xx.

Requests go in-process to Django (no server), with the bearer token of 黄建华, the
county administrator, who may read and write everything in 松溪县. On file: three
children in two villages of 郑墩镇 and one in 渭田镇, a 代理家长 paired with the
first, one contact and one protection case, so the ids 1..n that schemathesis
tries now and then reach real rows. Each operation is one test with a bounded
number of examples; everything it writes is rolled back with the test.
"""

import datetime as dt
import traceback
from dataclasses import dataclass

import pytest
import schemathesis
from django.core.signals import got_request_exception
from django.test.client import ClientHandler
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from shouwang.accounts.services import api_token_create
from shouwang.api.api import api
from shouwang.care.choices import ContactKind
from shouwang.care.tests.factories import contact, make_person, make_volunteer, pair
from shouwang.conftest import COUNTY, NEIGHBOUR_VILLAGE, VILLAGE, ZHENGDUN
from shouwang.protection.choices import CaseCategory
from shouwang.protection.services.cases import case_report
from shouwang.regions.models import Area

WEITIAN_VILLAGE = "350724102200"
TIMELINE = "/api/v1/protection/people/{person_id}/timeline"

# Modest and reproducible: CI runs this on every push, on a shared 2-core machine.
FUZZ_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    print_blob=True,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)

_handler = ClientHandler(enforce_csrf_checks=True)


def django_app(environ, start_response):
    """The project as a WSGI app the way Django's test client runs it: the
    connection of the test's transaction stays open between requests."""
    response = _handler(environ)
    headers = [*response.items()]
    headers += [("Set-Cookie", c.output(header="").strip()) for c in response.cookies.values()]
    start_response(f"{response.status_code} {response.reason_phrase}", headers)
    if response.streaming:
        return [b"".join(response.streaming_content)]
    return [response.content]


schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = django_app


@dataclass
class County:
    """The token to call with, and the rows on file that requests may name."""

    token: str
    ids: dict[str, list[int]]
    codes: list[str]

    def steer(self, case, data) -> None:
        """Now and then put a real id or area code where schemathesis would put a
        random one, so requests also reach the rows and not only the 404s."""
        for name in list(case.path_parameters or {}):
            values = self.codes if name == "code" else self.ids.get(name)
            if values and data.draw(st.booleans(), label=f"real {name}"):
                case.path_parameters[name] = data.draw(st.sampled_from(values), label=name)
        if not isinstance(case.body, dict):
            return
        for name in list(case.body):
            values = self.codes if name in ("village", "village_code") else self.ids.get(name)
            if values and data.draw(st.booleans(), label=f"real {name}"):
                case.body[name] = data.draw(st.sampled_from(values), label=name)


@pytest.fixture
def county(county_admin) -> County:
    """The county administrator's token, and a small county to read and write."""
    first = make_person("王小明", VILLAGE)
    second = make_person("李小红", VILLAGE, sex="F", birth=dt.date(2013, 9, 1))
    third = make_person("陈小军", NEIGHBOUR_VILLAGE)
    fourth = make_person("周小燕", WEITIAN_VILLAGE, sex="F")
    volunteer = make_volunteer("刘阿姨", VILLAGE, phone="13812345678")
    pair(first, volunteer)
    contact(first, ContactKind.HOME_VISIT, timezone.localdate() - dt.timedelta(days=3))
    case = case_report(
        user=county_admin,
        village=Area.objects.get(code=VILLAGE),
        category=CaseCategory.ALONE_UNSUPERVISED,
        description="独自在家三天",
        discovered_at=timezone.now() - dt.timedelta(hours=2),
        discovered_place="家中",
        reporter_name="张老师",
        people=[first],
    )
    _token, raw = api_token_create(user=county_admin, name="schemathesis")
    people = [first.pk, second.pk, third.pk, fourth.pk]
    return County(
        token=raw,
        ids={"person_id": people, "case_id": [case.pk], "volunteer_id": [volunteer.pk]},
        codes=[COUNTY, ZHENGDUN, VILLAGE, NEIGHBOUR_VILLAGE, WEITIAN_VILLAGE],
    )


@pytest.fixture
def server_errors():
    """The exceptions behind any 500 answered during the test, with tracebacks."""
    seen: list[str] = []

    def remember(sender, request=None, **kwargs):
        seen.append(traceback.format_exc())

    got_request_exception.connect(remember, weak=False)
    yield seen
    got_request_exception.disconnect(remember)


@schema.parametrize()
@schema.given(data=st.data())
@FUZZ_SETTINGS
def test_the_api_never_answers_a_server_error(case, data, county, server_errors):
    county.steer(case, data)
    response = case.call(headers={"Authorization": f"Bearer {county.token}"})
    assert not server_errors, f"{case.as_curl_command()}\n\n{server_errors[-1]}"
    checks = [not_a_server_error, content_type_conformance, response_schema_conformance]
    case.validate_response(response, checks=checks)


def test_the_timeline_is_documented_with_its_own_events():
    raw = api.get_openapi_schema()
    ok = raw["paths"][TIMELINE]["get"]["responses"][200]["content"]["application/json"]
    name = ok["schema"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert "day" in raw["components"]["schemas"][name]["properties"]
