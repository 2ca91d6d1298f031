import functools

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shouwang.care.models import Notification

# (label, url name, permission needed or None). The menu shows what the role may use;
# "volunteer" marks an item only volunteers see.
NAVIGATION = [
    (_("首页"), "core:home", None),
    (_("统计概览"), "dashboard:home", "dashboard.view_dashboard"),
    (_("人员档案"), "people:list", "people.view_person"),
    (_("待确认"), "people:proposals", "people.change_proposal"),
    (_("摸底排查"), "people:surveys", "people.view_surveyround"),
    (_("外出务工"), "people:migrants", "people.view_relation"),
    (_("疑似重复"), "people:duplicates", "people.change_duplicatecandidate"),
    (_("我的待办"), "care:worklist", "care.add_contact"),
    (_("我的结对对象"), "care:my_people", "volunteer"),
    (_("逾期名单"), "care:overdue", "care.resolve_concern"),
    (_("关注名单"), "care:attention", "care.resolve_concern"),
    (_("志愿者"), "care:volunteers", "care.view_volunteer"),
    (_("结对覆盖"), "care:coverage", "care.add_pairing"),
    (_("强制报告"), "protection:report", "protection.add_protectioncase"),
    (_("保护案件"), "protection:cases", "protection.view_protectioncase"),
    (_("待复评"), "protection:reassessments", "protection.add_assessment"),
    (_("服务与慰问"), "protection:aid", "protection.view_aid"),
    (_("关爱阵地"), "protection:stations", "protection.view_station"),
    (_("台账导入"), "ledgers:import", "ledgers.add_importbatch"),
    (_("关爱指标"), "care:rates", "regions.view_area"),
    (_("走访规则"), "care:rules", "care.view_obligationrule"),
    (_("行政区划"), "regions:index", "regions.view_area"),
    (_("用户"), "accounts:users", "accounts.view_user"),
    (_("审计日志"), "audit:log", "audit.view_auditentry"),
    (_("账号安全"), "accounts:security", None),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    current = request.resolver_match.view_name if request.resolver_match else ""
    items = [
        {"label": label, "url": reverse(name), "active": name == current}
        for label, name, perm in NAVIGATION
        if perm is None or (user.is_volunteer if perm == "volunteer" else user.has_perm(perm))
    ]
    return {"nav_items": items}


def unread_notifications(request):
    """`unread_notifications`: the number of the user's unread reminders, counted
    only when a template shows it (full pages; fragments never ask)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @functools.cache
    def count() -> int:
        return Notification.objects.filter(user=user, read_at__isnull=True).count()

    return {"unread_notifications": count}
