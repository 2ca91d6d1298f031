"""The area pages: /areas/ and /areas/<code>/."""

from shouwang.conftest import COUNTY, VILLAGE, WEITIAN, ZHENGDUN
from shouwang.core.demo import TOWNSHIPS
from shouwang.regions.models import Area, Level

# Session, user, the user's and the groups' permissions, the scope area, the area,
# the visible ancestors, the ancestors, the children, and saving the session
# (savepoint, update, release); the count of unread reminders in the header.
DETAIL_PAGE_QUERIES = 8


def page(client, code, **extra):
    return client.get(f"/areas/{code}/", **extra)


def zhengdun_village_names():
    return list(Area.objects.filter(parent_id=ZHENGDUN).values_list("name", flat=True))


# --- /areas/ -------------------------------------------------------------------------


def test_areas_index_takes_the_supervisor_to_their_township(login, supervisor):
    response = login(supervisor).get("/areas/")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/areas/{ZHENGDUN}/"


def test_areas_index_takes_the_village_worker_to_their_village(login, village_worker):
    response = login(village_worker).get("/areas/", follow=True)

    assert response.redirect_chain == [(f"/areas/{VILLAGE}/", 302)]
    assert Area.objects.get(code=VILLAGE).name in response.content.decode()


def test_areas_index_is_not_found_for_an_unscoped_user(login, unscoped):
    assert login(unscoped).get("/areas/").status_code == 404


def test_areas_index_is_not_found_for_the_auditor_who_may_not_view_areas(login, auditor):
    assert login(auditor).get("/areas/").status_code == 404


def test_anonymous_visitor_is_sent_to_login_from_the_areas_index(client, demo_areas):
    response = client.get("/areas/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/login/?next=/areas/"


# --- /areas/<code>/ ------------------------------------------------------------------


def test_county_page_lists_each_township_with_its_number_of_villages(login, county_admin):
    response = page(login(county_admin), COUNTY)

    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>松溪县" in body
    for code, name, villages in TOWNSHIPS:
        assert f'<a href="/areas/{code}000/">{name}</a>' in body
        assert f'<td class="num">{villages}</td>' in body


def test_supervisor_page_lists_every_village_of_the_township(login, supervisor):
    body = page(login(supervisor), ZHENGDUN).content.decode()

    assert "<h1>郑墩镇" in body
    for name in zhengdun_village_names():
        assert name in body
    assert "渭田镇" not in body


def test_supervisor_sees_the_county_above_as_text_but_not_as_a_link(login, supervisor):
    body = page(login(supervisor), ZHENGDUN).content.decode()

    assert "松溪县" in body
    assert f'href="/areas/{COUNTY}/"' not in body


def test_county_admin_gets_a_link_back_to_the_county_from_a_township(login, county_admin):
    body = page(login(county_admin), ZHENGDUN).content.decode()

    assert f'<a href="/areas/{COUNTY}/">松溪县</a>' in body
    assert 'href="/areas/350700000000/"' not in body  # 南平市 is outside the county


def test_village_page_says_there_are_no_areas_below(login, village_worker):
    response = page(login(village_worker), VILLAGE)

    assert response.status_code == 200
    assert "没有下级区划。" in response.content.decode()


def test_outsider_gets_not_found_for_zhengdun_and_never_sees_its_name(login, outsider):
    response = page(login(outsider), ZHENGDUN)

    assert response.status_code == 404
    assert "郑墩镇" not in response.content.decode()


def test_outsider_gets_not_found_for_a_village_of_zhengdun(login, outsider):
    village = Area.objects.get(code=VILLAGE)

    response = page(login(outsider), VILLAGE)

    assert response.status_code == 404
    assert village.name not in response.content.decode()


def test_outsider_gets_not_found_for_zhengdun_rows_over_htmx_too(login, outsider):
    response = page(login(outsider), ZHENGDUN, HTTP_HX_REQUEST="true")

    assert response.status_code == 404
    for name in zhengdun_village_names():
        assert name not in response.content.decode()


def test_supervisor_gets_not_found_for_their_own_county(login, supervisor):
    assert page(login(supervisor), COUNTY).status_code == 404


def test_village_worker_gets_not_found_for_the_neighbouring_village(
    login, village_worker, neighbour
):
    assert page(login(village_worker), neighbour.scope_area.code).status_code == 404


def test_unknown_code_is_not_found(login, county_admin):
    assert page(login(county_admin), "350724999000").status_code == 404


def test_anonymous_visitor_is_sent_to_login_from_an_area_page(client, demo_areas):
    response = page(client, ZHENGDUN)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/accounts/login/?next=/areas/{ZHENGDUN}/"


def test_filtering_the_county_page_by_name_lists_only_matching_townships(login, county_admin):
    response = page(login(county_admin), COUNTY, data={"q": "乡"})

    body = response.content.decode()
    assert "<h1>松溪县" in body
    assert 'value="乡"' in body
    assert "河东乡" in body
    assert "郑墩镇" not in body
    assert "松源街道" not in body


def test_htmx_filter_returns_only_the_matching_rows(login, county_admin):
    response = page(login(county_admin), COUNTY, data={"q": "乡"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<tr>")
    assert "<html" not in body
    assert "<h1>" not in body
    assert body.count("<tr>") == 6
    for name in ["河东乡", "茶平乡", "旧县乡", "溪东乡", "花桥乡", "祖墩乡"]:
        assert name in body
    assert "郑墩镇" not in body
    assert "松源街道" not in body


def test_htmx_filter_matching_nothing_says_so(login, county_admin):
    response = page(login(county_admin), COUNTY, data={"q": "不存在"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "没有符合条件的区划。" in body
    assert body.count("<tr>") == 1


def test_htmx_filter_of_the_supervisor_never_returns_rows_of_the_next_township(login, supervisor):
    weitian_village = Area.objects.filter(parent_id=WEITIAN).first()

    response = page(
        login(supervisor), ZHENGDUN, data={"q": weitian_village.name}, HTTP_HX_REQUEST="true"
    )

    assert weitian_village.code not in response.content.decode()


def test_county_page_runs_the_same_number_of_queries_however_many_townships(
    login, county_admin, django_assert_num_queries
):
    client = login(county_admin)
    with django_assert_num_queries(DETAIL_PAGE_QUERIES):
        assert page(client, COUNTY).status_code == 200

    for number in range(300, 310):
        Area.objects.create(
            code=f"350724{number}000", name=f"新乡{number}", level=Level.TOWNSHIP, parent_id=COUNTY
        )
    with django_assert_num_queries(DETAIL_PAGE_QUERIES):
        body = page(client, COUNTY).content.decode()

    assert body.count('<td class="num">') == 9 + 10
    assert "新乡309" in body


def test_township_page_with_17_villages_runs_as_many_queries_as_the_county_page(
    login, supervisor, django_assert_num_queries
):
    client = login(supervisor)
    with django_assert_num_queries(DETAIL_PAGE_QUERIES):
        body = page(client, ZHENGDUN).content.decode()

    assert body.count('<td class="num">') == 17
