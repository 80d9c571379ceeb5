"""Background jobs: progress, cooperative cancel, the acting user, and the real Dash endpoint."""

import json
import os
import re
import threading
import time

import pytest

from basket_segments import ids
from basket_segments.app import DASH_EXTENSION
from basket_segments.store import jobs, owner, results, storage
from tests.conftest import PASSWORD
from tests.test_callbacks import TABLE

SETTINGS = {"features": ["Age", "Income"], "k": 3, "scale": True}


def owned(name: str) -> str:
    """A result key as the manager makes it for an anonymous request: its owner's mark first."""
    return f"{jobs.owner_mark(None)}-{name}"


@pytest.fixture
def manager(tmp_path):
    return jobs.ThreadJobManager(tmp_path / "jobs")


def wait_for_thread(prefix: str = "job-") -> None:
    for thread in threading.enumerate():
        if thread.name.startswith(prefix):
            thread.join(10)


def start(app, manager, fn, key=None, context=None):
    """Run ``fn(set_progress)`` through Dash's own job function, as a background callback."""
    job_fn = manager.make_job_fn(fn, progress=True)
    with app.test_request_context("/analytics/_dash-update-component", method="POST"):
        return manager.call_job_fn(key or owned("key-1"), job_fn, [], context or {})


def test_progress_reaches_the_store_and_the_result_is_collected(app, manager):
    def work(set_progress):
        report = jobs.reporter(set_progress)
        report(0.25, "a quarter")
        report(1.7, "too far")
        return "done"

    job = start(app, manager, work)
    wait_for_thread()
    assert manager.result_ready(owned("key-1"))
    assert manager.get_progress(owned("key-1")) == (100, "too far")
    assert manager.get_result(owned("key-1"), job) == "done"
    assert not manager.result_ready(owned("key-1"))  # each result is read once


def test_work_after_the_result_runs_once_the_result_is_stored(app, manager):
    """What a job leaves for after its result (the Rules views drawn ahead for later
    picks) runs in the job's thread once the result can be collected; one that fails is
    logged and the rest still run. Outside a job it runs at once."""
    seen, result_first, go_on = [], threading.Event(), threading.Event()

    def later():
        seen.append(("later", manager.result_ready(owned("key-1"))))
        result_first.set()
        go_on.wait(10)

    def failing():
        raise RuntimeError("drawing failed")

    def work(set_progress):
        jobs.after_the_result(later)
        jobs.after_the_result(failing)
        jobs.after_the_result(lambda: seen.append(("last", True)))
        seen.append(("job", manager.result_ready(owned("key-1"))))
        return "done"

    job = start(app, manager, work)
    assert result_first.wait(10)
    assert manager.get_result(owned("key-1"), job) == "done"  # collected while it runs
    go_on.set()
    wait_for_thread()
    assert seen == [("job", False), ("later", True), ("last", True)]
    jobs.after_the_result(lambda: seen.append(("now", True)))
    assert seen[-1] == ("now", True)


def test_a_cancelled_job_stops_at_its_next_report_and_leaves_no_result(app, manager):
    reached, started, go_on = [], threading.Event(), threading.Event()

    def work(set_progress):
        report = jobs.reporter(set_progress)
        report(0.1, "first step")
        started.set()
        go_on.wait(10)
        report(0.5, "second step")
        reached.append("second step")
        return "finished anyway"

    job = start(app, manager, work)
    assert started.wait(10)
    assert manager.job_running(job)
    manager.terminate_job(job)
    go_on.set()
    wait_for_thread()
    assert reached == []
    assert not manager.result_ready(owned("key-1"))
    assert manager.get_progress(owned("key-1")) is None


def test_a_finished_job_counts_as_running_for_a_grace_period(app, manager, monkeypatch):
    monkeypatch.setattr(jobs, "RESULT_GRACE", 0.3)
    job = start(app, manager, lambda _set_progress: 1)
    wait_for_thread()
    assert manager.job_running(job)  # a poll between "result?" and "running?" still collects
    time.sleep(0.5)
    assert not manager.job_running(job)


def test_a_job_whose_process_died_is_not_running(manager):
    manager.handle.set("job-lost-running", 2**22 + 12345)  # no such process id
    assert not manager.job_running("lost")
    assert manager.terminate_unhealthy_job("lost")


def test_the_same_arguments_get_different_result_slots(manager):
    first = manager.build_cache_key(wait_for_thread, [1, 2], [], None)
    second = manager.build_cache_key(wait_for_thread, [1, 2], [], None)
    assert first != second
    assert first.split("-")[0] == second.split("-")[0]


def test_a_job_acts_for_the_user_whose_request_started_it(app, manager):
    def whose(_set_progress):
        return owner.current_owner()

    start(app, manager, whose, context={"custom_data": {owner.OWNER_DATA: "42"}})
    wait_for_thread()
    assert manager.get_result(owned("key-1"), None) == "42"
    start(app, manager, whose, key=owned("key-2"), context={"custom_data": {}})
    wait_for_thread()
    assert "Log in" in manager.get_result(owned("key-2"), None)["background_callback_error"]["msg"]


def test_the_owner_hook_reads_the_logged_in_user(app):
    from tests.callbacks_support import logged_in_as

    with logged_in_as(app) as user:
        assert owner.request_owner() == str(user.get_id())
    with app.test_request_context("/"):
        assert owner.request_owner() is None


def test_unknown_manager_setting_is_refused(tmp_path):
    from basket_segments.app import create_app
    from tests.conftest import make_config

    with pytest.raises(ValueError, match="BASKET_SEGMENTS_BACKGROUND_MANAGER"):
        create_app(make_config(tmp_path, BASKET_SEGMENTS_BACKGROUND_MANAGER="processes"))


def suggest_request(app, dataset_id: int) -> dict:
    """The body the browser posts for Suggest K's background job, from the app's own map."""
    dash_app = app.extensions[DASH_EXTENSION][0]
    asked = {"id": ids.K_WORK.asked, "property": "data"}
    key = next(key for key, spec in dash_app.callback_map.items() if spec["inputs"] == [asked])
    outputs = [part.rsplit(".", 1) for part in key[2:-2].split("...")]
    request = {"settings": SETTINGS, "dataset": dataset_id}
    return {
        "output": key,
        "outputs": [{"id": component, "property": prop} for component, prop in outputs],
        "inputs": [{**asked, "value": {"request": request, "nonce": "1"}}],
        "changedPropIds": [f"{ids.K_WORK.asked}.data"],
        "state": [],
    }


def end_id_of_page(client) -> str:
    page = client.get("/analytics/").get_data(as_text=True)
    config = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page)
    return json.loads(config.group(1))["end_id"]


def start_suggest_k_job(app, client) -> tuple[dict, str, dict]:
    """Store a dataset for the client's user "ana" and start Suggest K through Dash's
    endpoint; the start answer, the URL to poll and the body to poll with."""
    from basket_segments.web.accounts import User, db

    with app.app_context():
        user_id = str(db.session.scalar(db.select(User).filter_by(username="ana")).id)
        dataset = storage.save_upload(user_id, "shop.csv", TABLE.encode()).id
    end_id = end_id_of_page(client)
    url = "/analytics/_dash-update-component"
    body = suggest_request(app, dataset)
    started = client.post(f"{url}?endId={end_id}", json=body).get_json()
    poll = f"{url}?endId={end_id}&cacheKey={started['cacheKey']}&job={started['job']}"
    return started, poll, body


def poll_job(client, poll: str, body: dict, timeout: float = 60) -> tuple[dict, list]:
    """Poll as the browser does until the answer comes; the answer and the progress seen."""
    deadline, answer, progress = time.monotonic() + timeout, {}, []
    while time.monotonic() < deadline and "response" not in answer:
        time.sleep(0.05)
        answer = client.post(poll, json=body).get_json() or {}
        progress.append(answer.get("progress"))
    return answer, progress


def run_suggest_k_job(app, client, timeout: float = 60) -> tuple[dict, dict, list]:
    """Start Suggest K for "ana" and poll it; the start answer, the last answer, the progress."""
    started, poll, body = start_suggest_k_job(app, client)
    return started, *poll_job(client, poll, body, timeout)


def k_scores_stored(app, response: dict) -> bool:
    """Whether the job's answer asks for "ana"'s K scores and the job stored them."""
    from basket_segments.web.accounts import User, db

    request = response[ids.K_WORK.answer]["data"]["request"]
    with app.app_context():
        owner = str(db.session.scalar(db.select(User).filter_by(username="ana")).id)
        features = request["settings"]["features"]
        stored = results.k_scores_ready(owner, request["dataset"], features, "auto")
    return request["settings"] == SETTINGS and stored


def test_suggest_k_runs_as_a_job_through_dashs_endpoint(app, logged_in):
    started, answer, progress = run_suggest_k_job(app, logged_in)
    assert set(started) >= {"cacheKey", "job", "cancel", "progressDefault"}
    response = answer["response"]
    reports = [report for report in progress if report]
    assert reports and reports[-1][f"{ids.K_WORK.job.text}.children"].startswith("Trying K = ")
    assert k_scores_stored(app, response)


def niceness(_set_progress):
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_job_threads_give_the_cpu_to_requests_first(app, manager):
    job = start(app, manager, niceness)
    wait_for_thread()
    assert manager.get_result(owned("key-1"), job) == os.getpriority(os.PRIO_PROCESS, 0) + 10


def test_a_host_may_give_jobs_the_command_lines_priority(app, tmp_path):
    """``JOB_NICENESS`` sets how much a job thread yields (0: not at all)."""
    same = jobs.ThreadJobManager(tmp_path / "same-jobs", niceness=0)
    job = start(app, same, niceness)
    wait_for_thread()
    assert same.get_result(owned("key-1"), job) == os.getpriority(os.PRIO_PROCESS, 0)


def test_jobs_beyond_the_processs_slots_wait_in_line_and_can_be_cancelled(app, manager):
    release = threading.Event()

    def long(_set_progress):
        release.wait(10)
        return "first"

    def quick(_set_progress):
        return "second"

    first = start(app, manager, long, key=owned("key-1"))
    second = start(app, manager, quick, key=owned("key-2"))
    third = start(app, manager, quick, key=owned("key-3"))
    time.sleep(0.5)
    assert manager.get_progress(owned("key-2")) == (0, jobs.WAITING)
    assert not manager.result_ready(owned("key-2"))
    manager.terminate_job(third)  # Cancel while waiting
    time.sleep(0.5)
    release.set()
    wait_for_thread()
    assert manager.get_result(owned("key-1"), first) == "first"
    assert manager.get_result(owned("key-2"), second) == "second"
    assert not manager.result_ready(owned("key-3")) and not manager.job_running(third)


def test_another_user_with_the_handles_gets_nothing_and_the_owner_still_does(app, logged_in):
    """The handles of a job (in the poll's query string) name it; only its owner collects."""
    _started, poll, body = start_suggest_k_job(app, logged_in)
    bob = app.test_client()
    bob.post("/signup", data={"username": "bob", "password": PASSWORD, "confirm": PASSWORD})
    for _ in range(20):  # the job ends meanwhile (about half a second)
        stolen = bob.post(poll, json=body)
        content = stolen.get_json(silent=True) or {}
        assert stolen.status_code in (200, 204)
        assert "response" not in content and not content.get("progress"), content
        time.sleep(0.1)
    answer, _progress = poll_job(logged_in, poll, body)
    assert k_scores_stored(app, answer["response"])


@pytest.fixture
def job_process(tmp_path):
    """A job process for a web app on the same configuration (``jobs.serve_jobs`` in a
    thread, with an app of its own, as ``web/job_process.py`` builds one); yields the web
    app, the job process's app, and a function that stops it and returns how many jobs it
    took."""
    from basket_segments.app import create_app
    from tests.conftest import make_config

    config = make_config(tmp_path)
    web, serving = create_app(dict(config)), create_app(dict(config))
    stop = threading.Event()
    taken = []
    thread = threading.Thread(
        target=lambda: taken.append(jobs.serve_jobs(serving, stop)), name="serve-jobs"
    )
    thread.start()
    manager = web.extensions[jobs.MANAGER_EXTENSION]
    deadline = time.monotonic() + 10
    while manager.job_process() is None and time.monotonic() < deadline:
        time.sleep(0.02)

    def stopped() -> int:
        stop.set()
        thread.join(10)
        return taken[0]

    yield web, serving, stopped
    stop.set()
    thread.join(10)


def test_a_live_job_process_runs_the_job_and_the_web_process_none(job_process):
    web, _serving, stopped = job_process
    client = web.test_client()
    client.post("/signup", data={"username": "ana", "password": PASSWORD, "confirm": PASSWORD})
    manager = web.extensions[jobs.MANAGER_EXTENSION]
    assert manager.job_process() == os.getpid()
    _started, answer, progress = run_suggest_k_job(web, client)
    assert k_scores_stored(web, answer["response"])
    assert any(report for report in progress)  # the job process's progress reached the poll
    assert manager.handle.get(jobs.TAKEN_KEY) == 1
    assert stopped() == 1
    assert manager.job_process() is None  # it said it left: the next job runs here
    _started, answer, _progress = run_suggest_k_job(web, client)
    assert k_scores_stored(web, answer["response"])
    assert manager.handle.get(jobs.TAKEN_KEY) == 1


def test_a_job_queued_for_a_job_process_can_be_cancelled_there(job_process):
    web, serving, stopped = job_process
    manager = web.extensions[jobs.MANAGER_EXTENSION]
    reached, go_on = threading.Event(), threading.Event()

    def slow(set_progress):
        reached.set()
        go_on.wait(10)
        jobs.reporter(set_progress)(0.5, "half")
        return "not stored"

    key = manager.hash_function(slow, "test-slow")
    manager.register(key, slow, True)
    serving.extensions[jobs.MANAGER_EXTENSION].register(key, slow, True)
    with web.test_request_context("/analytics/_dash-update-component", method="POST"):
        job = manager.call_job_fn(owned("key-9"), manager.func_registry[key], [], {})
        assert reached.wait(10)
        assert manager.job_running(job)
        manager.terminate_job(job)
        go_on.set()
        deadline = time.monotonic() + 10
        while manager.job_running(job) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not manager.job_running(job)
        assert not manager.result_ready(owned("key-9"))
    assert stopped() == 1


def test_a_dead_job_process_leaves_the_jobs_to_the_web_process(app, manager):
    manager.handle.set(jobs.JOB_PROCESS_KEY, 2**22 + 12345)  # no such process
    assert manager.job_process() is None
    job = start(app, manager, lambda _set_progress: "here")
    wait_for_thread()
    assert manager.get_result(owned("key-1"), job) == "here"
    assert manager.handle.get(jobs.TAKEN_KEY) is None
