"""The default visiting rules (domain.md §0 and §2.5); counties may replace them."""

from django.db import migrations

CHILD, ELDERLY = "left_behind_child", "left_behind_elderly"
DEFAULTS = [
    # program, risk level, pairing kind, duty, period
    (CHILD, "", "proxy_parent", "contact", "week"),  # 代理家长 sees or talks with the child weekly
    (CHILD, "", "proxy_parent", "home_visit", "month"),  # a home visit monthly
    (CHILD, "", "proxy_parent", "teacher_talk", "month"),  # a talk with the head teacher monthly
    (CHILD, "", "", "family_call", "month"),  # the child talks with a parent away monthly
    (ELDERLY, "", "", "elderly_visit", "month"),  # 月探访
    (ELDERLY, "high", "", "elderly_visit", "week"),
    (ELDERLY, "priority", "", "elderly_visit", "month"),
    (ELDERLY, "general", "", "elderly_visit", "quarter"),
]


def add_defaults(apps, schema_editor):
    Rule = apps.get_model("care", "ObligationRule")
    for program, risk, pairing_kind, duty, period in DEFAULTS:
        Rule.objects.get_or_create(
            county=None, program=program, risk_level=risk, pairing_kind=pairing_kind, duty=duty,
            defaults={"period": period, "escalate_village_days": 7 if period == "quarter" else 3,
                      "escalate_township_days": 30 if period == "quarter" else 14},
        )  # fmt: skip


def remove_defaults(apps, schema_editor):
    apps.get_model("care", "ObligationRule").objects.filter(county=None).delete()


class Migration(migrations.Migration):
    dependencies = [("care", "0001_care_network")]
    operations = [migrations.RunPython(add_defaults, remove_defaults)]
