from django.urls import path

from shouwang.protection.views import cases, risk, stations, support

app_name = "protection"
urlpatterns = [
    # Risk grading (风险评估)
    path("people/<int:person_pk>/assess/", risk.assessment_create, name="assess"),
    path("assessments/<int:pk>/", risk.assessment_detail, name="assessment"),
    path("reassessments/", risk.reassessment_list, name="reassessments"),
    path("scales/", risk.scale_settings, name="scales"),
    path("scales/<int:pk>/edit/", risk.scale_edit, name="scale_edit"),
    # Mandatory reports and cases (强制报告与个案)
    path("report/", cases.report_create, name="report"),
    path("cases/", cases.case_list, name="cases"),
    path("cases/<int:pk>/", cases.case_detail, name="case"),
    path("cases/<int:pk>/transition/", cases.case_transition, name="case_transition"),
    path("cases/<int:pk>/assign/", cases.case_assign, name="case_assign"),
    path("cases/<int:pk>/notes/", cases.case_note_add, name="case_note"),
    path("cases/<int:pk>/referrals/", cases.referral_add, name="referral_add"),
    path(
        "cases/<int:pk>/referrals/<int:referral_pk>/answer/",
        cases.referral_answer,
        name="referral_answer",
    ),
    path("cases/<int:pk>/interventions/", cases.intervention_add, name="intervention_add"),
    path("deadlines/", cases.deadline_settings, name="deadlines"),
    # Services and aid (服务与慰问)
    path("people/<int:person_pk>/services/new/", support.service_create, name="service_create"),
    path("people/<int:person_pk>/aid/new/", support.aid_create, name="aid_create"),
    path("services/", support.service_list, name="services"),
    path("aid/", support.aid_list, name="aid"),
    # Stations and activities (关爱阵地与活动)
    path("stations/", stations.station_list, name="stations"),
    path("stations/new/", stations.station_create, name="station_create"),
    path("stations/<int:pk>/", stations.station_detail, name="station"),
    path("stations/<int:pk>/edit/", stations.station_edit, name="station_edit"),
    path("stations/<int:pk>/activities/new/", stations.activity_create, name="activity_create"),
    path("activities/<int:pk>/", stations.activity_detail, name="activity"),
    # The person page's timeline (动态)
    path("people/<int:person_pk>/timeline/", risk.person_timeline, name="timeline"),
    path("people/<int:person_pk>/risk/", risk.risk_panel, name="risk_panel"),
]
