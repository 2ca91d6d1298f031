"""Background jobs of the ledger import, run by the worker (`shouwang worker`)."""

from django_tasks import task

from shouwang.ledgers.services import batch_check, batch_commit


@task()
def import_check(batch_id: int) -> str:
    """Check an uploaded ledger (the preview); the page polls its progress."""
    return batch_check(batch_id=batch_id).status


@task()
def import_commit(batch_id: int) -> str:
    """Write a checked ledger the user chose to import; the page polls its progress."""
    return batch_commit(batch_id=batch_id).status
