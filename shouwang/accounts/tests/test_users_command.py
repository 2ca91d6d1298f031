import pytest
from django.core.management import CommandError, call_command

from shouwang.accounts.models import User


def test_it_creates_a_login_with_role_and_scope(demo_areas):
    call_command(
        "users", "create", "wu", "--role", "township_supervisor", "--scope", "350724101",
        "--name", "吴丽萍", "--password", "A-long-enough-pass1",
    )  # fmt: skip
    user = User.objects.get(username="wu")
    assert user.scope_area_id == "350724101000"
    assert user.groups.get().name == "township_supervisor"
    assert user.check_password("A-long-enough-pass1")


def test_a_weak_password_is_refused_in_chinese(demo_areas):
    with pytest.raises(CommandError, match="密码长度太短"):
        call_command(
            "users", "create", "wu", "--role", "leader", "--scope", "350724",
            "--password", "short",
        )  # fmt: skip
    assert not User.objects.filter(username="wu").exists()


def test_an_unknown_area_is_refused(demo_areas):
    with pytest.raises(CommandError, match="区划 350799 不存在"):
        call_command(
            "users", "create", "wu", "--role", "leader", "--scope", "350799",
            "--password", "A-long-enough-pass1",
        )  # fmt: skip


def test_a_scope_of_the_wrong_level_is_refused(demo_areas):
    with pytest.raises(CommandError, match="乡镇督导员的管辖区域只能是乡镇级"):
        call_command(
            "users", "create", "wu", "--role", "township_supervisor", "--scope", "350724",
            "--password", "A-long-enough-pass1",
        )  # fmt: skip


def test_a_token_is_printed_once_and_works_for_the_api(village_worker, client, capsys):
    call_command("users", "token", "village", "--name", "脚本")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert raw.startswith("sw_")
    response = client.get("/api/v1/accounts/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.json()["username"] == "village"
    assert (
        client.get("/api/v1/accounts/me", headers={"Authorization": "Bearer sw_wrong"}).status_code
        == 401
    )


def test_a_token_for_an_unknown_user_is_refused(db):
    with pytest.raises(CommandError, match="用户 nobody 不存在"):
        call_command("users", "token", "nobody")


def _volunteer_login(volunteer_id, username="liu"):
    call_command(
        "users", "create", username, "--role", "volunteer", "--scope", "350724101200",
        "--password", "A-long-enough-pass1", "--volunteer", str(volunteer_id),
    )  # fmt: skip


def test_a_volunteer_login_is_linked_to_their_approved_record(demo_areas):
    from shouwang.care.tests.factories import make_volunteer

    record = make_volunteer("刘晓燕", "350724101200")
    _volunteer_login(record.pk)
    record.refresh_from_db()
    assert record.user.username == "liu"


def test_a_volunteer_not_yet_approved_gets_no_login(demo_areas):
    from shouwang.care.tests.factories import make_volunteer

    record = make_volunteer("刘晓燕", "350724101200", status="applied")
    with pytest.raises(CommandError, match="只有已通过审查的志愿者可以关联登录账号"):
        _volunteer_login(record.pk)
    assert not User.objects.filter(username="liu").exists()
    with pytest.raises(CommandError, match="志愿者 999 不存在"):
        _volunteer_login(999)
