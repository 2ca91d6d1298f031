"""The area endpoints of the API: /api/v1/areas/<code> and /api/v1/areas/<code>/children."""

import pytest

from shouwang.conftest import COUNTY, VILLAGE, WEITIAN, ZHENGDUN
from shouwang.core.demo import TOWNSHIPS
from shouwang.regions.models import Area, Level

# Session, user, the user's and the groups' permissions, the scope area, the area,
# the children, and saving the session (savepoint, update, release).
CHILDREN_QUERIES = 5


def api_get(client, path):
    return client.get(f"/api/v1/areas/{path}")


def test_supervisor_gets_their_township(login, supervisor):
    response = api_get(login(supervisor), ZHENGDUN)

    assert response.status_code == 200
    assert response.json() == {
        "code": ZHENGDUN,
        "name": "郑墩镇",
        "level": Level.TOWNSHIP,
        "parent_code": COUNTY,
    }


def test_village_worker_gets_their_village(login, village_worker):
    village = Area.objects.get(code=VILLAGE)

    response = api_get(login(village_worker), VILLAGE)

    assert response.status_code == 200
    assert response.json() == {
        "code": VILLAGE,
        "name": village.name,
        "level": Level.VILLAGE,
        "parent_code": ZHENGDUN,
    }


def test_county_admin_gets_the_county_with_its_city_as_parent(login, county_admin):
    response = api_get(login(county_admin), COUNTY)

    assert response.json() == {
        "code": COUNTY,
        "name": "松溪县",
        "level": Level.COUNTY,
        "parent_code": "350700000000",
    }


def test_supervisor_gets_the_villages_of_their_township_in_code_order(login, supervisor):
    villages = list(Area.objects.filter(parent_id=ZHENGDUN).order_by("code"))

    response = api_get(login(supervisor), f"{ZHENGDUN}/children")

    assert response.status_code == 200
    assert response.json() == [
        {
            "code": v.code,
            "name": v.name,
            "level": Level.VILLAGE,
            "parent_code": ZHENGDUN,
            "child_count": 0,
        }
        for v in villages
    ]
    assert len(villages) == 17


def test_county_admin_gets_the_townships_with_their_number_of_villages(login, county_admin):
    response = api_get(login(county_admin), f"{COUNTY}/children")

    assert [(c["code"], c["name"], c["child_count"]) for c in response.json()] == [
        (f"{code}000", name, villages) for code, name, villages in TOWNSHIPS
    ]


def test_village_has_no_children(login, village_worker):
    response = api_get(login(village_worker), f"{VILLAGE}/children")

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("path", [ZHENGDUN, f"{ZHENGDUN}/children", VILLAGE, f"{VILLAGE}/children"])
def test_outsider_gets_not_found_for_zhengdun_and_its_villages(login, outsider, path):
    village = Area.objects.get(code=VILLAGE)

    response = api_get(login(outsider), path)

    assert response.status_code == 404
    body = response.content.decode()
    assert "郑墩镇" not in body
    assert village.name not in body


@pytest.mark.parametrize("path", [COUNTY, f"{COUNTY}/children", WEITIAN, "350000000000"])
def test_supervisor_gets_not_found_outside_their_township(login, supervisor, path):
    assert api_get(login(supervisor), path).status_code == 404


def test_unknown_code_is_not_found(login, county_admin):
    assert api_get(login(county_admin), "350724999000").status_code == 404


@pytest.mark.parametrize("user", ["unscoped", "auditor", "volunteer"])
def test_users_who_see_no_areas_get_not_found(login, request, user):
    client = login(request.getfixturevalue(user))

    assert api_get(client, COUNTY).status_code == 404
    assert api_get(client, VILLAGE).status_code == 404


@pytest.mark.parametrize("path", [ZHENGDUN, f"{ZHENGDUN}/children"])
def test_anonymous_caller_is_unauthorised(client, demo_areas, path):
    response = api_get(client, path)

    assert response.status_code == 401
    assert "郑墩镇" not in response.content.decode()


def test_children_list_runs_the_same_number_of_queries_however_many_children(
    login, county_admin, django_assert_num_queries
):
    client = login(county_admin)
    with django_assert_num_queries(CHILDREN_QUERIES):
        assert len(api_get(client, f"{COUNTY}/children").json()) == 9

    for number in range(300, 310):
        Area.objects.create(
            code=f"350724{number}000", name=f"新乡{number}", level=Level.TOWNSHIP, parent_id=COUNTY
        )
    with django_assert_num_queries(CHILDREN_QUERIES):
        assert len(api_get(client, f"{COUNTY}/children").json()) == 19
