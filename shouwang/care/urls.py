from django.urls import path

from shouwang.care.views import (
    contacts,
    notifications,
    pairings,
    persons,
    rates,
    rules,
    volunteers,
    worklists,
)

app_name = "care"
urlpatterns = [
    # Worklists and contacts (我的待办, 逾期名单, 关注名单, quick log)
    path("", worklists.my_worklist, name="worklist"),
    path("overdue/", worklists.overdue_list, name="overdue"),
    path("attention/", contacts.attention_list, name="attention"),
    path("attention/<int:pk>/resolve/", contacts.concern_resolve, name="concern_resolve"),
    path("people/<int:person_pk>/log/", contacts.contact_create, name="contact_create"),
    path("contacts/<int:pk>/notes/", contacts.contact_notes, name="contact_notes"),
    # A volunteer's people, and the care panel of a person
    path("my-people/", persons.my_people, name="my_people"),
    path("people/<int:person_pk>/", persons.person_care, name="person"),
    # Volunteers and their review
    path("volunteers/", volunteers.volunteer_list, name="volunteers"),
    path("volunteers/new/", volunteers.volunteer_create, name="volunteer_create"),
    path("volunteers/<int:pk>/", volunteers.volunteer_detail, name="volunteer_detail"),
    path("volunteers/<int:pk>/edit/", volunteers.volunteer_edit, name="volunteer_edit"),
    path("volunteers/<int:pk>/phone/", volunteers.volunteer_phone, name="volunteer_phone"),
    path("volunteers/<int:pk>/review/", volunteers.volunteer_review, name="volunteer_review"),
    path("volunteers/<int:pk>/withdraw/", volunteers.volunteer_withdraw, name="volunteer_withdraw"),
    # Pairing (结对) and coverage
    path("people/<int:person_pk>/pair/", pairings.pairing_create, name="pairing_create"),
    path("pairings/<int:pk>/end/", pairings.pairing_end, name="pairing_end"),
    path("coverage/", pairings.coverage, name="coverage"),
    # Visiting rules (走访频次) and rates
    path("rules/", rules.rule_list, name="rules"),
    path("rules/customise/", rules.rules_customise, name="rules_customise"),
    path("rules/new/", rules.rule_edit, name="rule_create"),
    path("rules/<int:pk>/edit/", rules.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", rules.rule_delete, name="rule_delete"),
    path("rates/", rates.rate_page, name="rates"),
    # In-app reminders
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
]
