"""Signals the registry sends to the apps built on it.

`care_may_change` is sent inside the writing transaction with `person_ids`, the
people whose file, enrollments or status changed in a way that can change what
they are owed (the care network forgets what it had worked out for them).
"""

from django.dispatch import Signal

care_may_change = Signal()


def people_changed(*person_ids: int) -> None:
    care_may_change.send(sender=None, person_ids=[pk for pk in person_ids if pk])


# Sent when a file leaves the register (moved out, deceased, merged): `person_id`,
# `on` (the day), and for a merge `merged_into` (the file that stays).
file_closed = Signal()
