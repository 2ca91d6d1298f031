"""The access matrix (issue 8): every URL pattern and every API operation, found
from the URL resolver and the OpenAPI schema — not from a list someone keeps — is
requested by every role from outside the records' area, and by staff of the next
village and the next township, for records they must not see and for identifiers
that do not exist.

What must hold for every request:
- a record outside the requester's scope answers exactly as a record that does
  not exist (so an identifier cannot be probed), and that answer is a refusal
  (403, 404, 405, a redirect to the login page, or the API's 401/422 before any
  lookup) — never a page, a write or a server error;
- a list, export or API list never shows the name of a person or volunteer from
  outside the scope, whatever area, person or search it is asked for;
- nothing is written.

Pages without a record identifier that anyone may open (login, static, language)
are the only allow-list (`PUBLIC`). A new URL whose path names a record the matrix
does not know fails here with a message saying where to add it (`SEGMENTS`).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.care.demo import care_demo_load
from shouwang.care.models import Contact, ObligationRule, Pairing, Volunteer
from shouwang.conftest import NEIGHBOUR_VILLAGE, WEITIAN, _make
from shouwang.core.demo import demo_area_rows
from shouwang.core.scoping import code_range
from shouwang.dashboard.demo import survey_demo_load
from shouwang.ledgers.columns import LEDGERS
from shouwang.ledgers.models import ImportBatch
from shouwang.people.demo import people_demo_load
from shouwang.people.models import (
    DuplicateCandidate,
    Enrollment,
    Person,
    Proposal,
    Relation,
    SurveyRound,
)
from shouwang.protection.demo import protection_demo_load
from shouwang.protection.models import (
    Activity,
    Assessment,
    ProtectionCase,
    Referral,
    RiskScale,
    Station,
)
from shouwang.regions.models import Area
from shouwang.regions.services import AreaRow, areas_upsert

pytestmark = pytest.mark.django_db

HOME, OTHER = "350724", "350721"  # 松溪县 (the demo's) and a second county
# Pages anyone may open, with no record in their path.
PUBLIC = {"accounts/login/", "accounts/logout/", "i18n/setlang/"}
# The record a path segment (before `<int:pk>`) or a keyword names.
SEGMENTS: dict[str, type[Model]] = {
    "people": Person,
    "proposals": Proposal,
    "surveys": SurveyRound,
    "duplicates": DuplicateCandidate,
    "attention": Contact,
    "contacts": Contact,
    "volunteers": Volunteer,
    "pairings": Pairing,
    "rules": ObligationRule,
    "assessments": Assessment,
    "scales": RiskScale,
    "cases": ProtectionCase,
    "stations": Station,
    "activities": Activity,
    "import": ImportBatch,
}
KEYWORDS: dict[str, type[Model]] = {
    "person_pk": Person,
    "person_id": Person,
    "relation_pk": Relation,
    "enrollment_pk": Enrollment,
    "referral_pk": Referral,
    "referral_id": Referral,
    "case_id": ProtectionCase,
    "station_id": Station,
    "activity_id": Activity,
    "user_pk": User,
}
# Where a record's area is, for the records without `in_area_prefix`.
AREA_OF = {
    SurveyRound: "area_id",
    ObligationRule: "county_id",
    RiskScale: "county_id",
    Referral: "case__village_id",
}
# Values of path parts that are not records.
WORDS = {"decision": "confirm", "field": "id_number"}
NONE = 987_654_321  # an identifier no record has
ALLOWED = {302, 401, 403, 404, 405, 422}


def _inside(model: type[Model], prefix: str):
    if model in AREA_OF:
        low, high = code_range(prefix)
        field = AREA_OF[model]
        return model.objects.filter(**{f"{field}__gte": low, f"{field}__lte": high})
    return model.objects.in_area_prefix(prefix)


@dataclass
class Requester:
    label: str
    user: object
    own: str  # the prefix of the requester's scope ("" for none)
    target: str  # the prefix of the records they must not see

    def record(self, model: type[Model]):
        """A record in the target area, outside the requester's own."""
        rows = _inside(model, self.target)
        if self.own:
            rows = rows.exclude(pk__in=_inside(model, self.own).values("pk"))
            if model in AREA_OF:  # a county's survey round or rules hold for its villages
                above = [self.own[:n].ljust(12, "0") for n in (2, 4, 6, 9) if n < len(self.own)]
                rows = rows.exclude(**{f"{AREA_OF[model]}__in": above})
        return rows.order_by("pk").first()


def _county_rows(code: str) -> list[AreaRow]:
    """The demo county's townships and villages again, under another code."""
    return [
        AreaRow(
            row.code.replace(HOME, code, 1),
            f"{row.name}乙",
            row.level,
            row.parent.replace(HOME, code, 1) if row.level > 3 else row.parent,
            "test",
            0,
        )
        for row in demo_area_rows()
        if row.level >= 3
    ]


@pytest.fixture
def world(demo_areas, county_admin):
    """Two counties with the demo's families, care network, protection work and
    survey rounds (a fiftieth of the seed county each), a possible duplicate and an
    import batch in each; every person and volunteer named after their village so
    that a page showing one can be caught."""
    areas_upsert(rows=_county_rows(OTHER), source="test")
    for code in (HOME, OTHER):
        people_demo_load(county_code=code, scale=0.02)
        care_demo_load(county_code=code)
        protection_demo_load(county_code=code)
        survey_demo_load(county_code=code)
        first, second = Person.objects.in_area_prefix(code).order_by("pk")[:2]
        DuplicateCandidate.objects.create(person_a=first, person_b=second, score=0.9)
        ImportBatch.objects.create(
            ledger="children",
            scope_id=f"{code}000000",
            uploaded_by=county_admin,
            file_name="台账.xlsx",
            file_hash="0" * 64,
            file_size=10,
            data=b"",
        )
    for model in (Person, Volunteer):
        for row in model.objects.all():
            model.objects.filter(pk=row.pk).update(name=f"越界{model.__name__[0]}{row.pk:05d}")


def _requesters() -> list[Requester]:
    other = f"{OTHER}000000"
    made = [
        (f"{role.label} of another county", _make(f"x_{role.value}", role, other, "外县"), OTHER)
        for role in (Role.COUNTY_ADMIN, Role.LEADER, Role.AUDIT_ADMIN, Role.SYSTEM_ADMIN)
    ]
    made += [
        ("township supervisor of another county",
         _make("x_township", Role.TOWNSHIP_SUPERVISOR, f"{OTHER}101000", "外镇"), f"{OTHER}101"),
        ("village worker of another county",
         _make("x_village", Role.VILLAGE_WORKER, f"{OTHER}101200", "外村"), f"{OTHER}101200"),
        ("volunteer of another county",
         _make("x_volunteer", Role.VOLUNTEER, f"{OTHER}101200", "外志愿者"), f"{OTHER}101200"),
    ]  # fmt: skip
    result = [Requester(label, user, own, HOME) for label, user, own in made]
    result.append(Requester("staff without a scope", _make("x_none", Role.VILLAGE_WORKER,
                                                           None, "无"), "", HOME))  # fmt: skip
    result.append(
        Requester(
            "village worker of the next village",
            _make("x_next", Role.VILLAGE_WORKER, NEIGHBOUR_VILLAGE, "邻村"),
            NEIGHBOUR_VILLAGE,
            NEIGHBOUR_VILLAGE[:9],
        )
    )
    result.append(
        Requester(
            "township supervisor of the next township",
            _make("x_weitian", Role.TOWNSHIP_SUPERVISOR, WEITIAN, "邻镇"),
            WEITIAN[:9],
            HOME,
        )
    )
    return result


# --- the URLs -------------------------------------------------------------------


def url_patterns(resolver=None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += url_patterns(entry, route)
        else:
            found.append((route, entry))
    return found


PART = re.compile(r"<(?:(\w+):)?(\w+)>|\{(\w+)\}")


def _parts(route: str) -> list[tuple[str, str, str]]:
    """(converter, keyword, segment before it) of each variable part of a route."""
    found = []
    for match in PART.finditer(route):
        before = route[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        converter, name = (match.group(1) or "str", match.group(2)) if match.group(2) else (
            "int" if match.group(3) != "code" else "str", match.group(3))  # fmt: skip
        found.append((converter, name, before))
    return found


def _model_of(name: str, segment: str, route: str) -> type[Model]:
    if name in KEYWORDS:
        return KEYWORDS[name]
    if segment in SEGMENTS:
        return SEGMENTS[segment]
    pytest.fail(f"{route}: which record does <{name}> after '{segment}/' name? Add it to SEGMENTS")


def _fill(route: str, requester: Requester, *, exists: bool) -> list[str] | None:
    """The route with its variables set to records the requester must not see (or
    to identifiers nobody has); several paths for a slug of ledgers; None when the
    target area holds no such record."""
    values: dict[str, list[str]] = {}
    records = {}
    for _kind, name, segment in _parts(route):
        if name in WORDS:
            values[name] = [WORDS[name]]
        elif name == "ledger_key":
            values[name] = list(LEDGERS)
        elif name == "code":
            area = Area.objects.filter(code__startswith=requester.target, level=5).exclude(
                code__startswith=requester.own or "-"
            )
            values[name] = [area.order_by("code").first().code if exists else "350724999999"]
        else:
            model = _model_of(name, segment, route)
            records[name] = model
    # A child record (a relation, an enrollment, a referral) and its parent agree.
    chosen: dict[str, str] = {}
    children = [n for n in records if n not in ("pk", "person_pk", "person_id", "case_id")]
    for name, model in records.items():
        if name in chosen:
            continue
        if not exists:
            chosen[name] = str(NONE)
            continue
        record = requester.record(model)
        if record is None:
            return None
        chosen[name] = str(record.pk)
        if name in children:
            for parent_name, parent_model in records.items():
                if parent_name == name:
                    continue
                for field in model._meta.get_fields():
                    if getattr(field, "related_model", None) is parent_model and field.many_to_one:
                        chosen[parent_name] = str(getattr(record, field.attname))
    values.update({name: [value] for name, value in chosen.items()})
    paths = []
    for combination in itertools.product(*values.values()):
        path = route
        for name, value in zip(values, combination, strict=True):
            path = re.sub(rf"<(?:\w+:)?{name}>|\{{{name}\}}", value, path)
        paths.append("/" + path.lstrip("/"))
    return paths


def _refused(response) -> bool:
    if response.status_code == 302:
        return response["Location"].startswith("/accounts/login/")
    return response.status_code in ALLOWED


def _names_outside(requester: Requester) -> list[str]:
    names = []
    for model in (Person, Volunteer):
        rows = model.objects.in_area_prefix(requester.target)
        if requester.own:
            rows = rows.exclude(pk__in=model.objects.in_area_prefix(requester.own).values("pk"))
        names += rows.values_list("name", flat=True)
    return names


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"people", "care", "protection", "ledgers", "regions"}
        and model._meta.managed
    }


# --- the matrix -----------------------------------------------------------------


def test_no_role_reaches_a_record_outside_its_scope_by_any_url(world, client):
    routes = [(route, p) for route, p in url_patterns() if not route.startswith("api/")]
    assert len(routes) > 90  # the resolver was read, not a short list
    requesters = _requesters()
    before = _counts()
    failures, tried = [], 0
    for requester in requesters:
        client.force_login(requester.user, backend="shouwang.accounts.backends.ScopedModelBackend")
        hidden = _names_outside(requester)
        assert hidden, requester.label
        for route, _pattern in routes:
            if route in PUBLIC:
                continue
            if not _parts(route):
                # A list or form page: what it shows, whatever it is asked for.
                outside = requester.record(Person)
                query = {"person": outside.pk, "area": requester.target, "q": "越界"}
                for path in (f"/{route}", f"/{route}?{_query(query)}"):
                    response = client.get(path)
                    tried += 1
                    body = _body(response)
                    if response.status_code >= 500 or any(n in body for n in hidden):
                        failures.append(f"{requester.label}: GET {path} → {response.status_code}")
                continue
            paths = _fill(route, requester, exists=True)
            if paths is None:
                continue
            ghosts = _fill(route, requester, exists=False)
            for path, ghost in zip(paths, ghosts, strict=True):
                for method in ("get", "post"):
                    response = getattr(client, method)(path)
                    answer = getattr(client, method)(ghost)
                    tried += 2
                    if "<slug:ledger_key>" in route:
                        # Templates are blank; an export holds what the user may see.
                        query = {"format": "csv", "reveal": 1, "area": requester.target}
                        response = getattr(client, method)(f"{path}?{_query(query)}")
                        body = _body(response)
                        if response.status_code >= 500 or any(n in body for n in hidden):
                            failures.append(f"{requester.label}: {method} {path} shows a name")
                        continue
                    if not _refused(response) or response.status_code != answer.status_code:
                        failures.append(
                            f"{requester.label}: {method.upper()} {path} → "
                            f"{response.status_code} (nonexistent: {answer.status_code})"
                        )
    assert tried > 1000
    assert not failures, "\n".join(failures)
    assert _counts() == before


def test_no_role_reaches_a_record_outside_its_scope_through_the_api(world, client):
    from shouwang.api.api import api

    operations = [
        (path.removeprefix("/"), method)
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method in methods
    ]
    assert len(operations) > 30
    before = _counts()
    failures = []
    for requester in _requesters():
        client.force_login(requester.user, backend="shouwang.accounts.backends.ScopedModelBackend")
        hidden = _names_outside(requester)
        for path, method in operations:
            send = getattr(client, method)
            extra = {"content_type": "application/json", "data": "{}"} if method != "get" else {}
            if not _parts(path):
                outside = requester.record(Person)
                query = f"?area={requester.target}&person={outside.pk}&q=越界"
                response = send(f"/{path}{query}", **extra)
                body = _body(response)
                if response.status_code >= 500 or (
                    method == "get" and any(n in body for n in hidden)
                ):
                    failures.append(f"{requester.label}: {method.upper()} /{path} → "
                                    f"{response.status_code} or a name outside")  # fmt: skip
                continue
            paths = _fill(path, requester, exists=True)
            if paths is None:
                continue
            ghost = _fill(path, requester, exists=False)[0]
            response, answer = send(paths[0], **extra), send(ghost, **extra)
            if response.status_code not in ALLOWED or response.status_code != answer.status_code:
                failures.append(
                    f"{requester.label}: {method.upper()} {paths[0]} → "
                    f"{response.status_code} (nonexistent: {answer.status_code})"
                )
    assert not failures, "\n".join(failures)
    assert _counts() == before


def _query(params: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def _body(response) -> str:
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)
    else:
        data = response.content
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def test_every_url_with_a_record_in_its_path_is_known_to_the_matrix():
    for route, _pattern in url_patterns():
        for converter, name, segment in _parts(route):
            if converter == "int":
                assert _model_of(name, segment, route)


def test_an_auditor_of_another_county_sees_no_entry_about_its_people(world):
    from django.contrib.contenttypes.models import ContentType

    from shouwang.audit.models import AuditEntry

    auditor = _make("x_auditor", Role.AUDIT_ADMIN, f"{OTHER}000000", "外县审计")
    person = Person.objects.in_area_prefix(HOME).order_by("pk").first()
    about = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Person), object_pk=str(person.pk)
    )
    assert about.exists()
    assert not AuditEntry.objects.visible_to(auditor).filter(pk__in=about.values("pk")).exists()
