"""/api/v1/protection for risk grading and cases: the same rules as the pages,
need-to-know on every case endpoint (404 otherwise), reads audited."""

import datetime as dt

from django.test import Client
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.accounts.services import api_token_create
from shouwang.audit.models import AuditEntry
from shouwang.care.tests.factories import make_elder, make_person
from shouwang.conftest import VILLAGE, _make
from shouwang.protection.models import Assessment, ProtectionCase
from shouwang.protection.tests.conftest import CHILD_OK

BASE = "/api/v1/protection"


class Api:
    def __init__(self, user):
        _token, raw = api_token_create(user=user, name="测试")
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw}"}

    def get(self, path, params=None):
        return self.client.get(BASE + path, params or {}, headers=self.headers)

    def post(self, path, body):
        return self.client.post(BASE + path, body, content_type="application/json",
                                headers=self.headers)  # fmt: skip


def test_the_rubric_and_an_assessment_through_the_api(village_worker, xiaoming):
    api = Api(village_worker)
    rubric = api.get(f"/people/{xiaoming.pk}/rubric").json()
    assert rubric["subject"] == "child" and rubric["scale"] == "five-level"
    assert [i["code"] for i in rubric["items"]][:2] == ["guardianship", "living"]
    assert len(rubric["grades"]) == 5
    missing = api.post(f"/people/{xiaoming.pk}/assessments",
                       {"answers": {**CHILD_OK, "mental": ""}})  # fmt: skip
    assert missing.status_code == 422
    assert missing.json() == {"errors": {"mental": ["请评估此项"]}}
    no_reason = api.post(f"/people/{xiaoming.pk}/assessments",
                         {"answers": CHILD_OK, "override_grade": "level-2"})  # fmt: skip
    assert no_reason.json() == {"errors": {"override_reason": ["人工调整等级须说明理由"]}}
    created = api.post(f"/people/{xiaoming.pk}/assessments",
                       {"answers": {**CHILD_OK, "guardianship": "none"}})  # fmt: skip
    assert created.status_code == 201
    body = created.json()
    graded = (body["grade"]["code"], body["red_flags"], body["score"])
    assert graded == ("level-1", ["unsupervised"], 5)
    listed = api.get(f"/people/{xiaoming.pk}/assessments").json()
    assert [a["id"] for a in listed] == [body["id"]]
    timeline = api.get(f"/people/{xiaoming.pk}/timeline").json()
    assert timeline[0]["kind"] == "assessment" and "一级" in timeline[0]["text"]


def test_outsiders_get_404_for_a_persons_risk(outsider, neighbour, xiaoming):
    for user in (outsider, neighbour):
        api = Api(user)
        for path in ("rubric", "assessments", "timeline"):
            assert api.get(f"/people/{xiaoming.pk}/{path}").status_code == 404
        answer = api.post(f"/people/{xiaoming.pk}/assessments", {"answers": CHILD_OK})
        assert answer.status_code == 404
    assert not Assessment.objects.exists()


def test_reassessments_due_through_the_api(village_worker, demo_areas):
    elder = make_elder("林婆婆", VILLAGE)
    api = Api(village_worker)
    long_ago = (timezone.localdate() - dt.timedelta(days=400)).isoformat()
    answers = {"safety": "safe", "physical": "healthy", "mental": "good", "economic": "normal",
               "elderly_living": "with_family", "dependence": "independent"}  # fmt: skip
    created = api.post(f"/people/{elder.pk}/assessments",
                       {"answers": answers, "assessed_on": long_ago})  # fmt: skip
    assert created.status_code == 201
    (due,) = api.get("/reassessments").json()
    assert (due["person_id"], due["grade"]["code"]) == (elder.pk, "level-5")


def report_body(person, **extra):
    now = timezone.localtime().replace(microsecond=0)
    return {
        "village_code": VILLAGE,
        "category": "alone_unsupervised",
        "people": [person.pk],
        "description": "孩子独自在家",
        "discovered_at": (now - dt.timedelta(minutes=5)).isoformat(),
        "discovered_place": "家中",
        "reporter_name": "张桂兰",
        **extra,
    }


def test_filing_and_handling_a_case_through_the_api(village_worker, supervisor, xiaoming):
    filed = Api(village_worker).post("/cases", report_body(xiaoming, channel="12355"))
    assert filed.status_code == 201
    case_id = filed.json()["id"]
    api = Api(supervisor)
    closing = api.post(f"/cases/{case_id}/transitions", {"to_state": "closed", "note": "好"})
    assert closing.status_code == 422
    assert "不能结案" in closing.json()["errors"]["to_state"][0]
    accepted = api.post(f"/cases/{case_id}/transitions", {"to_state": "accepted"})
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    today = timezone.localdate().isoformat()
    api.post(f"/cases/{case_id}/notes", {"text": "已联系父亲"})
    referral = api.post(f"/cases/{case_id}/referrals", {"agency": "police", "referred_on": today})
    referral_id = referral.json()["referrals"][0]["id"]
    answered = api.post(f"/cases/{case_id}/referrals/{referral_id}/answer",
                        {"answer": "done", "answered_on": today})  # fmt: skip
    assert answered.json()["referrals"][0]["answer"] == "done"
    negative = api.post(f"/cases/{case_id}/interventions",
                        {"kind": "revoke", "on": "2999-01-01"})  # fmt: skip
    assert negative.status_code == 422
    detail = api.get(f"/cases/{case_id}").json()
    assert detail["channel"] == "12355" and detail["notes"][0]["text"] == "已联系父亲"
    assert [e["to_state"] for e in detail["events"]] == ["reported", "accepted"]
    reads = AuditEntry.objects.filter(
        action=AuditEntry.Action.ACCESS, object_pk=str(case_id),
        content_type__model="protectioncase", actor=supervisor,
    )  # fmt: skip
    assert reads.count() >= 5  # the detail and every write's answer show the case


def test_bad_report_input_is_422_in_chinese(village_worker, xiaoming, demo_areas):
    api = Api(village_worker)
    future = (timezone.localtime() + dt.timedelta(hours=1)).isoformat()
    answer = api.post("/cases", report_body(xiaoming, discovered_at=future,
                                            police_notified=True))  # fmt: skip
    assert answer.status_code == 422
    assert answer.json()["errors"] == {
        "discovered_at": ["发现时间不能晚于现在"],
        "police_notified_at": ["已报警的，请填写报警时间"],
    }
    stranger = make_person("外村孩子", "350724102200")
    answer = api.post("/cases", report_body(stranger))
    assert answer.json() == {"errors": {"people": ["所选人员不在您的管辖范围内"]}}
    assert not ProtectionCase.objects.exists()


def test_case_endpoints_honour_need_to_know(village_worker, supervisor, neighbour, outsider,
                                            leader, xiaoming):  # fmt: skip
    case_id = Api(village_worker).post("/cases", report_body(xiaoming)).json()["id"]
    other = _make("village2", Role.VILLAGE_WORKER, VILLAGE, "李红")
    for user in (other, neighbour, outsider, leader):
        api = Api(user)
        assert api.get(f"/cases/{case_id}").status_code == 404
        assert api.get(f"/cases/{case_id + 1000}").status_code == 404  # guessed ids too
        assert api.post(f"/cases/{case_id}/notes", {"text": "x"}).status_code == 404
        assert api.post(f"/cases/{case_id}/transitions",
                        {"to_state": "accepted"}).status_code == 404  # fmt: skip
        assert api.get("/cases").json()["items"] == []
    assert ProtectionCase.objects.get().state == "reported"
    assert [c["id"] for c in Api(supervisor).get("/cases").json()["items"]] == [case_id]


def test_an_outsider_learns_nothing_about_usernames(outsider, village_worker, xiaoming):
    case_id = Api(village_worker).post("/cases", report_body(xiaoming)).json()["id"]
    api = Api(outsider)
    for name in ("village", "nobody-by-this-name"):
        answer = api.post(f"/cases/{case_id}/assignees", {"assignees": [name]})
        assert answer.status_code == 404


def test_the_api_refuses_huge_ids_and_closed_files(village_worker, xiaoming):
    api = Api(village_worker)
    assert api.post("/cases", report_body(xiaoming, people=[10**20])).status_code == 422
    xiaoming.status = "moved_out"
    xiaoming.save(update_fields=["status"])
    answer = api.post("/cases", report_body(xiaoming))
    assert answer.json() == {"errors": {"people": ["所选人员不在您的管辖范围内"]}}
    assert not ProtectionCase.objects.exists()
