from django.urls import path

from shouwang.people.views import duplicates, migrants, rules, surveys
from shouwang.people.views import persons as views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("proposals/", views.proposal_list, name="proposals"),
    path("rules/", rules.rule_list, name="rules"),
    path("proposals/<int:pk>/<str:decision>/", views.proposal_decide, name="proposal_decide"),
    path("surveys/", surveys.survey_list, name="surveys"),
    path("surveys/new/", surveys.survey_create, name="survey_create"),
    path("surveys/<int:pk>/", surveys.survey_detail, name="survey_detail"),
    path(
        "surveys/<int:pk>/verify/<int:person_pk>/", surveys.survey_verify, name="survey_verify"
    ),  # fmt: skip
    path("migrants/", migrants.migrant_list, name="migrants"),
    path("duplicates/", duplicates.duplicate_list, name="duplicates"),
    path("duplicates/<int:pk>/", duplicates.duplicate_compare, name="duplicate_compare"),
    path("duplicates/<int:pk>/decide/", duplicates.duplicate_decide, name="duplicate_decide"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/card/", views.person_card, name="card"),
    path("<int:pk>/reveal/<str:field>/", views.person_reveal, name="reveal"),
    path("<int:pk>/relations/new/", views.relation_form, name="relation_create"),
    path("<int:pk>/relations/<int:relation_pk>/", views.relation_form, name="relation_edit"),
    path(
        "<int:pk>/relations/<int:relation_pk>/delete/",
        views.relation_delete,
        name="relation_delete",
    ),  # fmt: skip
    path("<int:pk>/enroll/", views.enroll, name="enroll"),
    path("<int:pk>/status/", views.person_status, name="status"),
    path(
        "<int:pk>/enrollments/<int:enrollment_pk>/end/", views.enrollment_end, name="enrollment_end"
    ),  # fmt: skip
]
