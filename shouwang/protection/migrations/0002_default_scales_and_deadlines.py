"""The default risk scales and case deadlines; counties may change them.

五级 (the seed county grades in five levels) is the default; 四色 (Guangdong's
红 / 黄 / 蓝 / 绿) is there for a region to switch to. Thresholds are total rubric
scores (protection/rubric.py); tiers are the visiting tiers of the care rules.
"""

from django.db import migrations

SCALES = [
    ("five-level", "五级风险等级", True, [
        # rank, code, label, colour, min score, tier, reassess days
        (1, "level-1", "一级（极高风险）", "#b71c1c", 16, "high", 30),
        (2, "level-2", "二级（高风险）", "#e65100", 11, "high", 60),
        (3, "level-3", "三级（中风险）", "#f9a825", 7, "priority", 90),
        (4, "level-4", "四级（低风险）", "#1565c0", 3, "general", 180),
        (5, "level-5", "五级（无明显风险）", "#2e7d32", 0, "general", 365),
    ]),
    ("four-colour", "四色风险等级（红黄蓝绿）", False, [
        (1, "red", "红色（高风险）", "#c62828", 14, "high", 30),
        (2, "yellow", "黄色（中高风险）", "#f9a825", 9, "high", 60),
        (3, "blue", "蓝色（中低风险）", "#1565c0", 4, "priority", 120),
        (4, "green", "绿色（低风险）", "#2e7d32", 0, "general", 365),
    ]),
]  # fmt: skip

# state: hours to leave it, hours past that before the county is told.
DEADLINES = {
    "reported": (1, 2),  # accepted within 1 hour
    "accepted": (24, 24),  # emergency handling or investigation begun within a day
    "emergency": (24, 24),
    "investigating": (72, 48),  # assessed within 72 hours
    "support": (30 * 24, 7 * 24),
    "intervention": (90 * 24, 14 * 24),
    "follow_up": (90 * 24, 14 * 24),
}


def add_defaults(apps, schema_editor):
    Scale = apps.get_model("protection", "RiskScale")
    Grade = apps.get_model("protection", "RiskGrade")
    for key, name, is_default, grades in SCALES:
        scale, _ = Scale.objects.get_or_create(key=key, defaults={"name": name,
                                                                   "is_default": is_default})
        for rank, code, label, colour, min_score, tier, days in grades:
            Grade.objects.get_or_create(scale=scale, rank=rank, defaults={
                "code": code, "label": label, "colour": colour, "min_score": min_score,
                "tier": tier, "reassess_days": days})
    Deadline = apps.get_model("protection", "CaseDeadline")
    for state, (hours, county_after) in DEADLINES.items():
        Deadline.objects.get_or_create(county=None, state=state, defaults={
            "hours": hours, "county_after_hours": county_after})


def remove_defaults(apps, schema_editor):
    apps.get_model("protection", "CaseDeadline").objects.filter(county=None).delete()


class Migration(migrations.Migration):
    dependencies = [("protection", "0001_protection")]
    operations = [migrations.RunPython(add_defaults, remove_defaults)]
