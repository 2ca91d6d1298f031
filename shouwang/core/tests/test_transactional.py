import pytest

from shouwang.accounts.models import User


@pytest.mark.django_db(transaction=True)
def test_a_committed_test_leaves_a_database_the_next_test_can_use(village_worker):
    # On PostgreSQL the flush after a transactional test truncates every table; a
    # stray table with foreign keys to users (auditlog's own, swapped-out model)
    # used to make it fail.
    assert User.objects.filter(username="village").exists()


@pytest.mark.django_db(transaction=True)
def test_roles_exist_again_after_the_flush(village_worker):
    assert village_worker.groups.get().name == "village_worker"
