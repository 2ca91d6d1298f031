"""Version 1 of each program's eligibility rule: the national defaults of
domain.md §1, in force from 国发〔2016〕13号 (14 February 2016). Literal values:
migrations never import app code."""

import datetime as dt

from django.db import migrations

EFFECTIVE = dt.date(2016, 2, 14)
DEFAULTS = {
    "left_behind_child": {
        "age_limit": 16,
        "parents_rule": "both_away_or_one_incapable",
        "min_months_away": 6,
    },
    "child_in_difficulty": {
        "age_limit": 18,
        "categories": ["poverty", "disability", "guardianship", "orphan", "de_facto_unsupported"],
    },
    "left_behind_woman": {"min_age": 20, "max_age": 59, "require_married": True,
                          "min_months_away": 6},
    "left_behind_elderly": {"min_age": 60, "min_months_away": 6},
}  # fmt: skip


def create(apps, schema_editor):
    rule = apps.get_model("people", "EligibilityRule")
    for program, params in DEFAULTS.items():
        rule.objects.get_or_create(
            program=program,
            area=None,
            version=1,
            defaults={"effective_from": EFFECTIVE, "params": params, "note": "全国默认"},
        )


def remove(apps, schema_editor):
    apps.get_model("people", "EligibilityRule").objects.filter(version=1, area=None).delete()


class Migration(migrations.Migration):
    dependencies = [("people", "0001_registry")]
    operations = [migrations.RunPython(create, remove)]
