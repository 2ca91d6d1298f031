"""Who sees whose files: every page and endpoint of a person answers 404 outside
the user's scope, and the lists hold only the people in scope.

李小明 lives in 张桂兰's village; 王小红 in the neighbouring village of the same
township (郑墩镇), where 吴丽萍 supervises both. 周明 supervises the next
township and sees neither; 王芳 has no scope at all.
"""

import datetime as dt

import pytest
from django.test import Client

from shouwang.audit.models import AuditEntry
from shouwang.conftest import NEIGHBOUR_VILLAGE, VILLAGE
from shouwang.people.models import Enrollment, Person, Proposal, Relation
from shouwang.people.services.persons import person_create, relation_save
from shouwang.people.services.programs import enrollment_start
from shouwang.regions.models import Area

FUJIAN = "350000000000"


def a_family(name: str, village: str) -> Person:
    """A child with both parents away: a relation, an enrollment and a pending proposal."""
    child = person_create(
        user=None,
        data={"name": name, "sex": "F", "birth_date": dt.date(2015, 7, 1), "orphan": True,
              "village": Area.objects.get(code=village), "phone": "13812345678"},
    )  # fmt: skip
    for kind in ("father", "mother"):
        relation_save(
            person=child,
            data={"kind": kind, "name": f"{name}的{kind}", "working_away": True,
                  "months_away_12": 10, "work_province": Area.objects.get(code=FUJIAN)},
        )  # fmt: skip
    enrollment_start(user=None, person=child, program="child_in_difficulty",
                     on=dt.date(2024, 1, 1))  # fmt: skip
    return child


@pytest.fixture
def li(demo_areas) -> Person:
    return a_family("李小明", VILLAGE)


@pytest.fixture
def wang(demo_areas) -> Person:
    return a_family("王小红", NEIGHBOUR_VILLAGE)


def person_requests(person: Person) -> list[tuple[str, str, dict]]:
    """Every page and endpoint of one person's file: (method, path, data)."""
    relation = person.relations.first()
    enrollment = person.enrollments.first()
    proposal = person.proposals.get(status="pending")
    return [
        ("get", f"/people/{person.pk}/", {}),
        ("get", f"/people/{person.pk}/edit/", {}),
        ("post", f"/people/{person.pk}/edit/", {"name": "改名"}),
        ("get", f"/people/{person.pk}/card/", {}),
        ("post", f"/people/{person.pk}/reveal/id_number/", {}),
        ("post", f"/people/{person.pk}/reveal/phone/", {}),
        ("get", f"/people/{person.pk}/relations/new/", {}),
        ("post", f"/people/{person.pk}/relations/new/", {"kind": "sibling", "name": "x"}),
        ("get", f"/people/{person.pk}/relations/{relation.pk}/", {}),
        ("post", f"/people/{person.pk}/relations/{relation.pk}/", {"kind": "sibling"}),
        ("post", f"/people/{person.pk}/relations/{relation.pk}/delete/", {}),
        ("post", f"/people/{person.pk}/enroll/",
         {"program": "left_behind_child", "started_on": "2025-01-01"}),
        ("post", f"/people/{person.pk}/enrollments/{enrollment.pk}/end/",
         {"ended_on": "2025-01-01", "exit_reason": "other"}),
        ("post", f"/people/proposals/{proposal.pk}/confirm/", {}),
        ("post", f"/people/proposals/{proposal.pk}/dismiss/", {}),
        ("get", f"/api/v1/people/{person.pk}", {}),
        ("patch", f"/api/v1/people/{person.pk}", {"version": 1, "name": "改名"}),
    ]  # fmt: skip


def send(client: Client, method: str, path: str, data: dict):
    if method == "patch":
        return client.patch(path, data, content_type="application/json")
    return getattr(client, method)(path, data)


def snapshot(person: Person):
    return (
        Person.objects.filter(pk=person.pk).values_list("name", "version").get(),
        sorted(Relation.objects.filter(person=person).values_list("pk", "kind")),
        sorted(Enrollment.objects.filter(person=person).values_list("pk", "ended_on")),
        sorted(Proposal.objects.filter(person=person).values_list("pk", "status")),
        AuditEntry.objects.filter(
            object_pk=str(person.pk), action=AuditEntry.Action.ACCESS
        ).count(),
    )


def assert_all_404(client: Client, person: Person):
    before = snapshot(person)
    for method, path, data in person_requests(person):
        response = send(client, method, path, data)
        assert response.status_code == 404, f"{method.upper()} {path}"
    assert snapshot(person) == before


# --- 404 outside the scope ---------------------------------------------------------


def test_a_village_worker_gets_404_for_every_page_of_a_file_in_the_next_village(
    login, village_worker, wang
):
    assert_all_404(login(village_worker), wang)


def test_the_outsider_from_the_next_township_gets_404_for_every_page(login, outsider, li, wang):
    client = login(outsider)

    assert_all_404(client, li)
    assert_all_404(client, wang)


def test_a_user_without_scope_gets_404_for_every_page(login, unscoped, li):
    assert_all_404(login(unscoped), li)


def test_a_relation_of_another_file_cannot_be_reached_through_ones_own_file(
    login, village_worker, li, wang
):
    client = login(village_worker)
    wangs_relation = wang.relations.first()
    wangs_enrollment = wang.enrollments.first()

    for method, path in [
        ("get", f"/people/{li.pk}/relations/{wangs_relation.pk}/"),
        ("post", f"/people/{li.pk}/relations/{wangs_relation.pk}/delete/"),
        ("post", f"/people/{li.pk}/enrollments/{wangs_enrollment.pk}/end/"),
    ]:
        assert getattr(client, method)(path).status_code == 404, path
    assert Relation.objects.filter(pk=wangs_relation.pk).exists()
    assert Enrollment.objects.get(pk=wangs_enrollment.pk).ended_on is None


def test_a_file_outside_the_scope_cannot_be_linked_as_a_relative(login, village_worker, li, wang):
    response = login(village_worker).post(
        f"/people/{li.pk}/relations/new/",
        {"kind": "sibling", "relative": wang.pk, "living": "on", "health": "healthy",
         "capacity": "full"},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["form"].errors["relative"] == [
        "选择一个有效的选项： 该选择不在可用的选项中。"
    ]
    assert not Relation.objects.filter(relative=wang).exists()


# --- inside the scope -------------------------------------------------------------


def test_the_supervisor_sees_every_village_of_the_township(login, supervisor, li, wang):
    client = login(supervisor)

    for person in (li, wang):
        for method, path, _data in person_requests(person):
            if method == "get":
                assert client.get(path).status_code == 200, path
    listed = {p.name for p in client.get("/people/").context["page"]}
    assert listed == {"李小明", "王小红"}


def test_the_village_worker_works_on_her_own_villages_files(login, village_worker, li):
    client = login(village_worker)

    for method, path, _data in person_requests(li):
        if method == "get":
            assert client.get(path).status_code == 200, path


def test_the_list_holds_only_the_people_in_scope(login, village_worker, outsider, li, wang):
    weitian = a_family("周渭田", "350724102200")

    assert {p.name for p in login(village_worker).get("/people/").context["page"]} == {"李小明"}
    assert {p.name for p in login(outsider).get("/people/").context["page"]} == {weitian.name}


def test_a_user_without_scope_sees_an_empty_list(login, unscoped, li, wang):
    response = login(unscoped).get("/people/")

    assert response.status_code == 200
    assert list(response.context["page"]) == []
    assert "李小明" not in response.content.decode()


def test_the_proposal_list_holds_only_proposals_in_scope(login, village_worker, li, wang):
    response = login(village_worker).get("/people/proposals/")

    assert response.status_code == 200
    assert {p.person.name for p in response.context["page"]} == {"李小明"}


def test_the_api_list_holds_only_the_people_in_scope(login, village_worker, li, wang):
    response = login(village_worker).get("/api/v1/people")

    assert [item["name"] for item in response.json()["items"]] == ["李小明"]


# --- roles without personal files, and anonymous visitors --------------------------


@pytest.mark.parametrize("role", ["leader", "auditor", "sysadmin", "volunteer"])
def test_roles_without_the_view_permission_are_forbidden_the_pages(request, login, li, role):
    client = login(request.getfixturevalue(role))

    assert client.get("/people/").status_code == 403
    assert client.get(f"/people/{li.pk}/").status_code == 403
    assert client.get(f"/people/{li.pk}/card/").status_code == 403
    assert client.get("/people/new/").status_code == 403


@pytest.mark.parametrize("role", ["leader", "auditor"])
def test_roles_without_the_view_permission_get_nothing_from_the_api(request, login, li, role):
    client = login(request.getfixturevalue(role))

    assert client.get(f"/api/v1/people/{li.pk}").status_code == 403
    response = client.patch(f"/api/v1/people/{li.pk}", {"version": 1, "name": "改名"},
                            content_type="application/json")  # fmt: skip
    assert response.status_code == 403


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, li):
    for path in ("/people/", f"/people/{li.pk}/", f"/people/{li.pk}/edit/", "/people/new/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url == f"/accounts/login/?next={path}"


def test_an_anonymous_api_call_gets_401(client, li):
    assert client.get(f"/api/v1/people/{li.pk}").status_code == 401
    assert client.get("/api/v1/people").status_code == 401
