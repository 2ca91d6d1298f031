from shouwang.regions.models import Area


def test_village_worker_sees_home_with_village_name(login, village_worker):
    response = login(village_worker).get("/")
    assert response.status_code == 200
    body = response.content.decode()
    village = Area.objects.get(code="350724101200")
    assert village.name in body
    assert "村级工作人员" in body
    assert "张桂兰" in body
