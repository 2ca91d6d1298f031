import datetime as dt

from huey.contrib.djhuey import HUEY

from shouwang.people.tasks import reevaluate_eligibility_daily


def test_the_eligibility_job_runs_at_ten_past_one_beijing_time():
    [task_class] = [t for t in HUEY._registry._periodic_tasks
                    if t.__name__ == "reevaluate_eligibility_daily"]  # fmt: skip
    task = task_class()

    # huey passes naive UTC times; 17:10 UTC is 01:10 the next day in Asia/Shanghai.
    def utc(hour, minute):
        return dt.datetime(2026, 11, 22, hour, minute, tzinfo=dt.UTC).replace(tzinfo=None)

    assert task.validate_datetime(utc(17, 10))
    assert not task.validate_datetime(utc(17, 11))
    assert not task.validate_datetime(utc(1, 10))


def test_the_job_calls_the_re_evaluation(db):
    # The job's body is the service; with no files it makes no proposals.
    assert reevaluate_eligibility_daily.call_local() == 0
