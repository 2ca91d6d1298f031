from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "shouwang.people"
    verbose_name = "人员档案"

    def ready(self):
        from auditlog.registry import auditlog

        from shouwang.people import models as m

        # Encrypted values are masked in the audit log, never stored in clear.
        sensitive = ["id_number", "phone", "head_teacher_phone"]
        auditlog.register(m.Person, mask_fields=sensitive,
                          exclude_fields=["id_number_index", "phone_index", "name_pinyin",
                                          "name_initials", "updated_at"])  # fmt: skip
        auditlog.register(m.Household)
        auditlog.register(m.Relation, mask_fields=["id_number", "phone"])
        for model in (m.EligibilityRule, m.Enrollment, m.Proposal, m.DuplicateCandidate,
                      m.SurveyRound, m.Verification):  # fmt: skip
            auditlog.register(model)
