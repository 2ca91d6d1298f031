from django.urls import path

from shouwang.people.views import persons as views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("proposals/", views.proposal_list, name="proposals"),
    path("proposals/<int:pk>/<str:decision>/", views.proposal_decide, name="proposal_decide"),
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
    path(
        "<int:pk>/enrollments/<int:enrollment_pk>/end/", views.enrollment_end, name="enrollment_end"
    ),  # fmt: skip
]
