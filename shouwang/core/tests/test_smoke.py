from shouwang.regions.models import Area


def test_village_worker_sees_home_with_village_name(login, village_worker):
    response = login(village_worker).get("/")
    assert response.status_code == 200
    body = response.content.decode()
    village = Area.objects.get(code="350724101200")
    assert village.name in body
    assert "村级工作人员" in body
    assert "张桂兰" in body


def test_a_record_outside_the_scope_gets_a_chinese_not_found_page(login, outsider):
    response = login(outsider).get("/areas/350724101000/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body
    assert "郑墩镇" not in body


def test_a_page_the_role_may_not_use_gets_a_chinese_forbidden_page(login, village_worker):
    response = login(village_worker).get("/audit/")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()
