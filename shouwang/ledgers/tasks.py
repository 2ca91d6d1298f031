"""Background jobs of the ledger import, run by the worker (`shouwang worker`)."""

from django_tasks import task

from shouwang.ledgers.services import batch_check


@task()
def import_check(batch_id: int) -> str:
    """Check an uploaded ledger (the preview); the page polls its progress."""
    return batch_check(batch_id=batch_id).status
