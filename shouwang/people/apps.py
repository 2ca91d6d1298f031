from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "shouwang.people"
    verbose_name = "人员档案"

    def ready(self):
        from auditlog.registry import auditlog

        from shouwang.people import models as m
        from shouwang.people.forms import PERSON_FIELDS, RelationForm

        # What a person's file says, not bookkeeping (version, timestamps, indexes).
        # Encrypted values are masked completely in the audit log.
        sensitive = ["id_number", "phone", "head_teacher_phone"]
        auditlog.register(
            m.Person,
            include_fields=[*PERSON_FIELDS, *sensitive, "household", "income_sources",
                            "difficulty_codes", "status", "status_changed_on", "merged_into"],
            mask_fields=sensitive,
        )  # fmt: skip
        auditlog.register(m.Household)
        auditlog.register(
            m.Relation,
            include_fields=[*RelationForm.Meta.fields, "person", "id_number", "phone"],
            mask_fields=["id_number", "phone"],
        )
        for model in (m.EligibilityRule, m.Enrollment, m.Proposal, m.DuplicateCandidate,
                      m.SurveyRound, m.Verification):  # fmt: skip
            auditlog.register(model)
