"""An HTTP client for the running dashboard: users who drive a real server.

``DashUser`` is a ``requests.Session`` that signs up and logs in through the
real forms and calls Dash callbacks as the browser's renderer does: it reads
the callbacks from ``_dash-dependencies``, keeps the props of the components
it has seen (the layout, each rendered page, every callback answer), posts
the same JSON to ``_dash-update-component`` with the ``X-CSRFToken`` header,
sends the callbacks of one change at once, and polls background callbacks
until their job ends. On top of that it has one method per flow of the app
(upload, open, segment, mine rules, drill-down clicks, downloads), named
after what a person does on the page. ``LiveServer`` (``bench/live_server.py``,
re-exported here) runs the server: ``gunicorn basket_segments.web.wsgi:app`` in a subprocess.

Example::

    with LiveServer(tmp_path / "instance", workers=2) as server:
        ana = DashUser(server.url, "ana")
        ana.signup()
        dataset = ana.upload("shop.csv", csv_bytes).get(ids.ACTIVE_DATASET, "data")
        run = ana.segment(k=4)            # run.stored: answered without a job
        ana.click_segment(0)              # a drill-down click on the pie
        rules = ana.mine_rules()
        csv_text = ana.download_segments()

Every HTTP request is recorded in ``user.timings`` (kind, seconds, ok), and
every multi-request step (a job, a click) once more as a whole, for
``bench/load.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import requests

from basket_segments import ids
from basket_segments.analytics.rules import ALL_CUSTOMERS
from basket_segments.web.auth import CSRF_COOKIE
from basket_segments.web.config import DEFAULTS
from basket_segments.web.uploads import FILENAME_HEADER
from bench.live_server import LiveServer, free_port

__all__ = ["Answer", "Callback", "DashError", "DashUser", "LiveServer", "Timing", "free_port"]

PASSWORD = "a long load-test password"
CONFIG_SCRIPT = '<script id="_dash-config" type="application/json">'
#: What a new segment selection redraws on the Segments page: the charts, the badge.
SEGMENT_VIEWS = ((ids.SEGMENT_SCATTER, "figure"), (ids.SELECTION_BADGE, "children"))
#: What new rules or a new segment redraw on the Rules page: a new rules grid, whose first
#: block of rows (``rule_rows``) draws the sentences, the scatter and the top products.
RULE_VIEWS = ((ids.RULES_VIEW, "data"),)
#: Rows the rules grid asks for in its first block (AG Grid's infinite row model).
FIRST_BLOCK = {"startRow": 0, "endRow": 100}


class DashError(RuntimeError):
    """The server answered a request of a user with an unexpected status or content."""


@dataclass(frozen=True)
class Timing:
    """One measured request (``http``) or a step made of several (a job, a click)."""

    kind: str
    seconds: float
    ok: bool
    http: bool = True


@dataclass(frozen=True)
class Callback:
    """One callback as ``_dash-dependencies`` lists it."""

    output: str  # Dash's name of the callback: "id.prop" or "..id.prop...id.prop.."
    outputs: tuple[tuple[Any, str], ...]  # (component id, property without "@hash")
    inputs: tuple[dict, ...]
    state: tuple[dict, ...]
    interval_ms: int | None  # None unless it is a background callback

    @classmethod
    def from_dependency(cls, dependency: dict) -> Callback:
        name = dependency["output"]
        parts = name[2:-2].split("...") if name.startswith("..") else [name]
        outputs = []
        for part in parts:
            component, _, prop = part.rpartition(".")
            outputs.append((_parse_id(component), prop.split("@")[0]))
        background = dependency.get("background")
        return cls(
            name,
            tuple(outputs),
            tuple(dependency["inputs"]),
            tuple(dependency["state"]),
            (background or {}).get("interval", 1000) if background is not None else None,
        )

    def has_output(self, component_id: Any, prop: str) -> bool:
        return any(_fits(i, component_id) and p == prop for i, p in self.outputs)

    def has_input(self, component_id: Any, prop: str) -> bool:
        return any(
            _fits(_parse_id(d["id"]), component_id) and d["property"] == prop for d in self.inputs
        )


def _fits(dependency_id: Any, component_id: Any) -> bool:
    """Whether a dependency (maybe a pattern) covers a component id (maybe the same pattern)."""
    if _key(dependency_id) == _key(component_id):
        return True
    return _is_pattern(dependency_id) and _matches(dependency_id, component_id)


@dataclass
class Answer:
    """What one callback (with its polls, for a background one) answered."""

    callback: Callback
    status: int
    updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    requests: int = 1

    def has(self, component_id: Any, prop: str) -> bool:
        return prop in self.updates.get(_key(component_id), {})

    def get(self, component_id: Any, prop: str, default: Any = None) -> Any:
        return self.updates.get(_key(component_id), {}).get(prop, default)


@dataclass
class SegmentsRun:
    """The Segments flow: ``stored`` when the answer came without a background job."""

    stored: bool
    ask: Answer
    job: Answer | None
    charts: Answer

    @property
    def profiles(self) -> list[dict]:
        return self.charts.get(ids.PROFILE_TABLE, "rowData") or []


@dataclass
class RulesRun:
    """The Rules flow: ``stored`` when rules and products were ready without a job."""

    stored: bool
    ask: Answer
    job: Answer | None
    rules: Answer
    #: The grid's first rows' answer, which draws the top products too.
    products: Answer | None
    #: The first block of rows the rules grid showed.
    table: list[dict]


def _failure(response: requests.Response) -> str | None:
    """The text of the app's failure alert if the answer opens it (a callback raised).

    The app's ``on_error`` answers 200 and opens the alert ``ids.FAILURE`` instead
    of failing the request, so a status code alone does not show the failure.
    """
    alert = getattr(ids, "FAILURE", None)
    if response.status_code != 200 or not alert or f'"{alert}"' not in response.text:
        return None
    content = response.json()
    for updates in (content.get("response") or {}, content.get("sideUpdate") or {}):
        props = updates.get(alert) or {}
        if props.get("is_open"):
            return f"opened the failure alert: {props.get('children')}"
    return None


def _parse_id(text: str) -> Any:
    """A component id from its string form in Dash's dependencies ("{...}" for dict ids)."""
    return json.loads(text) if text.startswith("{") else text


def _key(component_id: Any) -> str:
    """A component id as Dash writes it in prop ids and answers (dicts: sorted, compact)."""
    if not isinstance(component_id, dict):
        return str(component_id)
    values = {
        name: json.loads(value.to_json()) if hasattr(value, "to_json") else value
        for name, value in component_id.items()
    }
    return json.dumps(values, sort_keys=True, separators=(",", ":"))


def _is_match(component_id: Any) -> bool:
    """A MATCH pattern: it stands for the one component that triggered the callback."""
    return _is_pattern(component_id) and ["MATCH"] in json.loads(_key(component_id)).values()


def _is_pattern(component_id: Any) -> bool:
    return isinstance(component_id, dict) and any(
        isinstance(value, list) for value in json.loads(_key(component_id)).values()
    )


def _matches(pattern: dict, component_id: Any) -> bool:
    """Whether a concrete dict id fits a pattern with ALL or MATCH wildcards."""
    pattern = json.loads(_key(pattern))
    if not isinstance(component_id, dict) or set(component_id) != set(pattern):
        return False
    for name, wanted in pattern.items():
        if wanted in (["ALL"], ["MATCH"]):
            continue
        if isinstance(wanted, list):
            raise NotImplementedError(f"Only ALL and MATCH wildcards are supported, not {wanted}.")
        if component_id[name] != wanted:
            return False
    return True


def _components(tree: Any) -> list[tuple[Any, dict]]:
    """The outermost components with an id in a serialised tree: (id, props) pairs.

    Components without an id are looked through; ones with an id are not, their
    own props hold the components below them.
    """
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(item for item in node if isinstance(item, (list, dict)))
        elif isinstance(node, dict) and {"type", "namespace", "props"} <= node.keys():
            props = node["props"] or {}
            if "id" in props:
                found.append((props["id"], props))
            else:
                stack.extend(value for value in props.values() if isinstance(value, (list, dict)))
    return found


class _HiddenInputs(HTMLParser):
    """The hidden inputs of a page's forms (the CSRF token)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.values[found["name"]] = found.get("value") or ""


def hidden_inputs(page: str) -> dict[str, str]:
    """Name and value of each hidden input of an HTML page."""
    parser = _HiddenInputs()
    parser.feed(page)
    return parser.values


class DashUser(requests.Session):
    """One person in one browser tab: accounts, callbacks, and the app's flows.

    Parameters
    ----------
    base_url : the server, e.g. ``LiveServer.url``.
    username, password : the account (``signup()`` creates it).
    prefix : where the dashboard is mounted (``DASHBOARD_PREFIX``).
    poll_interval : seconds between polls of a job; default the callback's own
        interval, as the browser does.
    keep_alive : reuse connections. Off by default: each request gets its own
        connection, as behind a reverse proxy, so any worker may answer it, and
        no request is sent on a kept-alive connection gunicorn is just closing
        (its ``--keep-alive`` is 2 s), which a browser would silently retry.
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str = PASSWORD,
        *,
        prefix: str = DEFAULTS["BASKET_SEGMENTS_DASHBOARD_PREFIX"],
        timeout: float = 120.0,
        job_timeout: float = 600.0,
        poll_interval: float | None = None,
        keep_alive: bool = False,
    ) -> None:
        super().__init__()
        if not keep_alive:
            self.headers["Connection"] = "close"
        self.base_url = base_url.rstrip("/")
        self.username, self.password, self.prefix = username, password, prefix
        self.timeout, self.job_timeout, self.poll_interval = timeout, job_timeout, poll_interval
        self.timings: list[Timing] = []
        self.end_id: str | None = None
        self.props: dict[tuple[str, str], Any] = {}
        self._ids: dict[str, Any] = {}
        self._owned: dict[tuple[str, str], set[str]] = {}
        self._callbacks: list[Callback] | None = None
        self._pool: ThreadPoolExecutor | None = None

    # ----- plain HTTP, timed -------------------------------------------------------------

    def http(
        self,
        method: str,
        path: str,
        kind: str,
        expect: Iterable[int] = (200,),
        check: Callable[[requests.Response], str | None] | None = None,
        **kwargs,
    ) -> requests.Response:
        """One timed request; a status outside ``expect``, no answer, or a complaint of
        ``check`` (a text, None when satisfied) counts as failed and raises ``DashError``."""
        kwargs.setdefault("timeout", self.timeout)
        started = time.perf_counter()
        try:
            response = self.request(method, self.base_url + path, **kwargs)
        except requests.RequestException as error:
            self.record(kind, time.perf_counter() - started, ok=False)
            raise DashError(f"{self.username}: {method} {path}: {error}") from error
        problem = None
        if response.status_code not in expect:
            problem = f"answered {response.status_code}: {response.text[:300]}"
        elif check is not None:
            problem = check(response)
        self.record(kind, time.perf_counter() - started, ok=problem is None)
        if problem:
            raise DashError(f"{self.username}: {method} {path} {problem}")
        return response

    def record(self, kind: str, seconds: float, ok: bool = True, http: bool = True) -> None:
        self.timings.append(Timing(kind, seconds, ok, http))

    # ----- accounts ----------------------------------------------------------------------

    def signup(self) -> requests.Response:
        """Create the account through the sign-up form; the user is then logged in."""
        data = {"username": self.username, "password": self.password, "confirm": self.password}
        return self._submit("/signup", data, "signup")

    def login(self, remember: bool = False) -> requests.Response:
        """Log in through the login form (a fresh session, like a new browser)."""
        self.cookies.clear()
        self.props.clear()
        self._ids.clear()
        self._owned.clear()
        data = {"username": self.username, "password": self.password}
        if remember:
            data["remember"] = "y"
        return self._submit("/login", data, "login")

    def _submit(self, path: str, data: dict, kind: str) -> requests.Response:
        form = self.http("GET", path, "page")
        data = {**hidden_inputs(form.text), **data}
        answer = self.http("POST", path, kind, data=data)
        if not answer.url.split("?")[0].endswith(self.prefix):
            raise DashError(f"{self.username}: {path} did not lead to the dashboard: {answer.url}")
        self._read_config(answer.text)
        return answer

    def logout(self) -> None:
        """Log out as the navbar does: a POST carrying the CSRF token (from the logout page)."""
        page = self.http("GET", "/logout", "page")
        self.http("POST", "/logout", "logout", data=hidden_inputs(page.text))

    def is_logged_in(self) -> bool:
        """Whether the dashboard accepts this session (its layout answers, not 401)."""
        answer = self.http("GET", self.prefix + "_dash-layout", "check", expect=(200, 401))
        return answer.status_code == 200

    # ----- pages and callbacks -----------------------------------------------------------

    def load_page(self, page: str = "") -> str:
        """A full page load: the HTML (its ``end_id``), the layout and callbacks once, the page."""
        html = self.http("GET", self.prefix + page, "page").text
        self._read_config(html)
        self.go_to(page)
        return html

    def _read_config(self, html: str) -> None:
        start = html.find(CONFIG_SCRIPT)
        if start < 0:
            raise DashError(f"{self.username}: not a dashboard page")
        text = html[start + len(CONFIG_SCRIPT) : html.index("</script>", start)]
        self.end_id = json.loads(text)["end_id"]
        if ("", "layout") not in self._owned:  # session stores outlive page loads
            layout = self.http("GET", self.prefix + "_dash-layout", "page").json()
            self.set_prop("", "layout", layout)

    def callbacks(self) -> list[Callback]:
        """The app's callbacks, read once from ``_dash-dependencies``."""
        if self._callbacks is None:
            found = self.http("GET", self.prefix + "_dash-dependencies", "page").json()
            self._callbacks = [Callback.from_dependency(d) for d in found]
        return self._callbacks

    def find(self, output: tuple[Any, str], trigger: tuple[Any, str] | None = None) -> Callback:
        """The one callback that updates ``output`` (and has ``trigger`` as an input)."""
        found = [
            cb
            for cb in self.callbacks()
            if cb.has_output(*output) and (trigger is None or cb.has_input(*trigger))
        ]
        if len(found) != 1:
            raise LookupError(f"{len(found)} callbacks update {output} from {trigger}")
        return found[0]

    def go_to(self, page: str) -> Answer:
        """Navigate inside the app, as a navbar link does: the page area is redrawn."""
        path = self.prefix + page
        return self.call((ids.PAGE, "children"), (ids.URL, "pathname"), path, kind="page render")

    def call(
        self,
        output: tuple[Any, str] | Callback,
        trigger: tuple[Any, str] | None = None,
        value: Any = None,
        *,
        values: Mapping[tuple[Any, str], Any] | None = None,
        kind: str = "callback",
    ) -> Answer:
        """Fire a callback as the renderer does after ``trigger`` took ``value``.

        ``output`` (any one output) and ``trigger`` pick the callback; ``values``
        sets other props first. Every input and state is sent with the value this
        session last saw; the answer updates those values. A background callback
        is polled until its job ends; ``kind`` then times the whole job.
        """
        callback, body = self._prepare(output, trigger, value, values)
        if callback.interval_ms is not None:
            return self._run_job(callback, body, kind)
        return self._apply(callback, self._timed_post(body, kind))

    def call_together(
        self, trigger: tuple[Any, str], value: Any, outputs: Iterable[tuple[Any, str]], kind: str
    ) -> list[Answer]:
        """Fire the callbacks of ``outputs`` that ``trigger`` feeds, all at once, as the
        renderer does when one prop changes; answers are applied in the order given."""
        prepared = [self._prepare(output, trigger, value, None) for output in outputs]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(4, thread_name_prefix=f"{self.username}-")
        sent = [(cb, self._pool.submit(self._timed_post, body, kind)) for cb, body in prepared]
        wait([future for _, future in sent])  # all answered before any error is raised
        return [self._apply(callback, future.result()) for callback, future in sent]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        super().close()

    def _prepare(self, output, trigger, value, values) -> tuple[Callback, dict]:
        callback = output if isinstance(output, Callback) else self.find(output, trigger)
        for (component, prop), item in (values or {}).items():
            self.set_prop(component, prop, item)
        if trigger is not None:
            self.set_prop(trigger[0], trigger[1], value)
        changed = [f"{_key(trigger[0])}.{trigger[1]}"] if trigger is not None else []
        matched = trigger[0] if trigger is not None else None
        outputs = [self._output_spec(i, p, matched) for i, p in callback.outputs]  # one: no list
        return callback, {
            "output": callback.output,
            "outputs": outputs if callback.output.startswith("..") else outputs[0],
            "inputs": [self._dependency_value(d, matched) for d in callback.inputs],
            "state": [self._dependency_value(d, matched) for d in callback.state],
            "changedPropIds": changed,
        }

    def _timed_post(self, body: dict, kind: str) -> tuple[requests.Response, float]:
        started = time.perf_counter()
        response = self._post_callback(body, {}, kind)
        return response, time.perf_counter() - started

    def _run_job(self, callback: Callback, body: dict, kind: str) -> Answer:
        started = time.perf_counter()
        handles = self._post_callback(body, {}, "job request").json()
        query = {"cacheKey": handles["cacheKey"], "job": handles["job"]}
        progress, polls = [], 1
        interval = self.poll_interval or callback.interval_ms / 1000
        deadline = time.monotonic() + self.job_timeout
        while True:
            time.sleep(interval)
            response = self._post_callback(body, query, "job request")
            polls += 1
            content = response.json() if response.status_code == 200 else {}
            if content.get("progress"):
                progress.append(content["progress"])
            if response.status_code == 204 or "response" in content:
                break
            if time.monotonic() > deadline:
                self.record(kind, time.perf_counter() - started, ok=False, http=False)
                raise DashError(f"{self.username}: {kind} did not finish in {self.job_timeout} s")
        answer = self._apply(callback, (response, time.perf_counter() - started))
        answer.progress, answer.requests = progress, polls
        self.record(kind, answer.seconds, http=False)
        return answer

    def _post_callback(self, body: dict, query: dict, kind: str) -> requests.Response:
        token = next((c.value for c in self.cookies if c.name == CSRF_COOKIE), None)
        return self.http(
            "POST",
            self.prefix + "_dash-update-component",
            kind,
            expect=(200, 204),
            check=_failure,
            params={"endId": self.end_id, **query},
            json=body,
            headers={"X-CSRFToken": token} if token else {},
        )

    def _apply(self, callback: Callback, sent: tuple[requests.Response, float]) -> Answer:
        """The answer to a callback; its updates become the props this session knows."""
        response, seconds = sent
        answer = Answer(callback, response.status_code, seconds=seconds)
        if response.status_code == 204:
            return answer
        content = response.json()
        for updates in (content.get("response") or {}, content.get("sideUpdate") or {}):
            for component, props in updates.items():
                answer.updates.setdefault(component, {}).update(props)
                for prop, item in props.items():
                    self.set_prop(self._ids.get(component, _parse_id(component)), prop, item)
        return answer

    def _output_spec(self, component: Any, prop: str, matched: Any = None) -> Any:
        if _is_match(component):
            return {"id": matched, "property": prop}
        if _is_pattern(component):
            return [{"id": i, "property": prop} for i in self._matching(component)]
        return {"id": component, "property": prop}

    def _dependency_value(self, dependency: dict, matched: Any = None) -> Any:
        component, prop = _parse_id(dependency["id"]), dependency["property"]
        if _is_match(component):
            return {"id": matched, "property": prop, "value": self.prop(matched, prop)}
        if _is_pattern(component):
            return [
                {"id": i, "property": prop, "value": self.prop(i, prop)}
                for i in self._matching(component)
            ]
        return {"id": component, "property": prop, "value": self.prop(component, prop)}

    def _matching(self, pattern: dict) -> list[Any]:
        return [i for i in self._ids.values() if _matches(pattern, i)]

    def prop(self, component: Any, prop: str, default: Any = None) -> Any:
        """The value this session last saw for a component's prop."""
        return self.props.get((_key(component), prop), default)

    def set_prop(self, component: Any, prop: str, item: Any) -> None:
        """Set a prop as the page would (a control, a store), without firing anything.

        Components inside a replaced tree leave; the ones in the new tree arrive.
        """
        key = _key(component)
        self._forget(self._owned.pop((key, prop), ()))
        self.props[(key, prop)] = item
        inner = _components(item) if isinstance(item, (list, dict)) else []
        if inner:
            self._owned[(key, prop)] = {_key(original) for original, _ in inner}
        for original, props in inner:
            self._ids[_key(original)] = original
            for name, value in props.items():
                if name != "id":
                    self.set_prop(original, name, value)

    def _forget(self, keys: Iterable[str]) -> None:
        for gone in keys:
            self._ids.pop(gone, None)
            for name in [name for name in self.props if name[0] == gone]:
                del self.props[name]
                self._forget(self._owned.pop(name, ()))

    @property
    def active_dataset(self) -> int | None:
        return self.prop(ids.ACTIVE_DATASET, "data")

    @property
    def selected_segment(self) -> int | None:
        return self.prop(ids.SELECTED_SEGMENT, "data")

    # ----- the Data page -----------------------------------------------------------------

    def upload(self, filename: str, content: bytes, mime: str = "text/csv") -> Answer:
        """Drop a file on the upload area: the browser posts it to the upload route, then a
        job stores it and it becomes the active dataset. Returns the final answer."""
        self.go_to("")
        token = next((c.value for c in self.cookies if c.name == CSRF_COOKIE), None)
        headers = {"Content-Type": mime, FILENAME_HEADER: quote(filename)}
        sent = self.http(
            "POST",
            self.prefix + "upload",
            "upload",
            expect=(200, 400, 413),
            data=content,
            headers={**headers, "X-CSRFToken": token} if token else headers,
        ).json()
        self._long_work(ids.DATA_WORK, (ids.UPLOADED, "data"), sent, "upload")
        stored = (ids.DATA_WORK.answer, "data")
        answer = self.call((ids.ACTIVE_DATASET, "data"), stored, self.prop(*stored), kind="upload")
        if not answer.has(ids.ACTIVE_DATASET, "data"):
            message = self.prop(ids.DATA_MESSAGE, "children")
            raise DashError(f"{self.username}: upload not stored: {sent} {message}")
        self.list_datasets()
        return answer

    def _long_work(
        self, work: ids.WorkIds, trigger: tuple[Any, str], value: Any, kind: str
    ) -> tuple[Answer, Answer | None]:
        """Ask for long work as the page does (``callbacks.long_work``), then run its
        background job if the ask handed one over; the ask's and the job's answers."""
        ask = self.call((work.asked, "data"), trigger, value, kind="ask")
        asked = ask.get(work.asked, "data")
        job = None
        if asked and asked.get("request") is not None:
            job = self.call((work.answer, "data"), (work.asked, "data"), asked, kind=kind)
        return ask, job

    def list_datasets(self) -> list[int]:
        """Redraw "Your datasets"; the ids of the datasets listed, as their Open buttons say."""
        self.call(
            (ids.DATASET_LIST, "children"),
            (ids.DATA_VERSION, "data"),
            self.prop(ids.DATA_VERSION, "data"),
            kind="datasets",
        )
        pattern = {"type": ids.OPEN_TYPE, "index": ["ALL"]}
        return sorted(i["index"] for i in self._matching(pattern))

    def open_dataset(self, dataset_id: int) -> Answer:
        """Press a listed dataset's Open button; then its details are shown."""
        button = ids.open_button(dataset_id)
        clicks = (self.prop(button, "n_clicks") or 0) + 1
        answer = self.call((ids.ACTIVE_DATASET, "data"), (button, "n_clicks"), clicks, kind="open")
        self.dataset_details()
        return answer

    def dataset_details(self) -> Answer:
        """The details pane of the active dataset (shape, cleaning report, first rows)."""
        return self.call(
            (ids.DATASET_DETAILS, "children"),
            (ids.ACTIVE_DATASET, "data"),
            self.active_dataset,
            kind="details",
        )

    # ----- the Segments page -------------------------------------------------------------

    def segment(
        self, features: list[str] | None = None, k: int | None = None, scale: bool | None = None
    ) -> SegmentsRun:
        """Open Segments and choose features, K and scaling (default: what the page offers).

        Stored segments are drawn at once; missing ones are computed by a job first.
        """
        self.go_to("segments")
        self.call((ids.FEATURES, "options"), (ids.SEGMENTS_READY, "data"), 0, kind="controls")
        chosen = {
            (ids.FEATURES, "value"): features,
            (ids.K_INPUT, "value"): k,
            (ids.SCALE, "value"): scale,
        }
        self.call(
            (ids.SEGMENT_SETTINGS, "data"),
            (ids.FEATURES, "value"),
            features or self.prop(ids.FEATURES, "value"),
            values={name: item for name, item in chosen.items() if item is not None},
            kind="controls",
        )
        settings = (ids.SEGMENT_SETTINGS, "data")
        ask, job = self._long_work(ids.SEGMENTS_WORK, settings, self.prop(*settings), "segment")
        answer = (ids.SEGMENTS_WORK.answer, "data")
        charts, _ = self.call_together(answer, self.prop(*answer), SEGMENT_VIEWS, "charts")
        return SegmentsRun(job is None, ask, job, charts)

    def suggest_k(self) -> Answer:
        """Press *Suggest K* on the Segments page (``segment`` first): the K scores' job,
        then the chart. Returns the chart's answer."""
        clicks = (self.prop(ids.SUGGEST_K, "n_clicks") or 0) + 1
        self._long_work(ids.K_WORK, (ids.SUGGEST_K, "n_clicks"), clicks, "suggest k")
        answer = (ids.K_WORK.answer, "data")
        return self.call((ids.K_CHART, "figure"), answer, self.prop(*answer), kind="k chart")

    def click_segment(self, segment: int) -> Answer:
        """Click a segment's slice of the pie: it is selected and the charts redrawn.

        As in the browser, the page's script takes the selection
        (``assets/segments.js``), then the charts and the badge are asked for at
        once; the whole click is timed as one "drill-down click". Returns the
        charts' answer.
        """
        started = time.perf_counter()
        self.set_prop(ids.SEGMENT_PIE, "clickData", {"points": [{"customdata": segment}]})
        charts = self._select(segment)
        self.record("drill-down click", time.perf_counter() - started, http=False)
        return charts

    def show_all_segments(self) -> Answer:
        """Press "Show all segments": the selection is cleared and the charts redrawn."""
        self.set_prop(
            ids.CLEAR_SELECTION, "n_clicks", (self.prop(ids.CLEAR_SELECTION, "n_clicks") or 0) + 1
        )
        return self._select(None)

    def _select(self, segment: int | None) -> Answer:
        """The selection the page's script set, and what it redraws (one trip, at once)."""
        selected = (ids.SELECTED_SEGMENT, "data")
        charts, _ = self.call_together(selected, segment, SEGMENT_VIEWS, "drill-down request")
        return charts

    # ----- the Over time page ------------------------------------------------------------

    def compare_periods(self) -> Answer:
        """Open Over time at its defaults (two periods, split mid-way, the Segments page's
        segmentation): the comparison's job if not stored, then the heatmap and the rest.
        Returns the charts' answer."""
        self.go_to("over-time")
        segmentation = (ids.OVER_TIME_SEGMENTATION, "children")
        self.call(segmentation, (ids.OVER_TIME_READY, "data"), 0, kind="controls")
        self._long_work(ids.OVER_TIME_WORK, segmentation, self.prop(*segmentation), "over time")
        answer = (ids.OVER_TIME_WORK.answer, "data")
        return self.call(
            (ids.MIGRATION_HEATMAP, "figure"), answer, self.prop(*answer), kind="migration"
        )

    # ----- the Rules page ----------------------------------------------------------------

    def mine_rules(self, **thresholds: Any) -> RulesRun:
        """Open Rules (thresholds by ``ids`` name, e.g. ``MIN_SUPPORT=0.1``) and show them.

        Stored rules are shown at once; rules not mined yet are mined by a job first.
        """
        self.go_to("rules")
        values = {(getattr(ids, name), "value"): item for name, item in thresholds.items()}
        options = (ids.RULES_SEGMENT, "options")
        self.call(options, (ids.RULES_READY, "data"), 0, values=values, kind="controls")
        ask, job = self._long_work(ids.RULES_WORK, options, self.prop(*options), "mine")
        answer = (ids.RULES_WORK.answer, "data")
        (rules,) = self.call_together(answer, self.prop(*answer), RULE_VIEWS, "rules")
        rows, drawn = self._rows_of_view()
        return RulesRun(job is None, ask, job, rules, drawn, rows)

    def rule_rows(self, block: dict = FIRST_BLOCK) -> list[dict]:
        """The rows the rules grid shows for the current view: the grid is drawn anew for
        each view, with an id of its own, and asks its rows block by block."""
        return self._rows_of_view(block)[0]

    def _rows_of_view(self, block: dict = FIRST_BLOCK) -> tuple[list[dict], Answer | None]:
        """The view's first rows, and the answer that brought them (which also draws the
        sentences, the scatter and the top products)."""
        view = self.prop(ids.RULES_VIEW, "data")
        if not view:
            return [], None
        grid = ids.rules_grid(ids.view_token(view))
        answer = self.call((grid, "getRowsResponse"), (grid, "getRowsRequest"), block, kind="rows")
        return (answer.get(grid, "getRowsResponse") or {}).get("rowData") or [], answer

    def pick_rules_segment(self, segment: int | None) -> tuple[Answer, Answer | None]:
        """Choose a segment (None: all customers) on the Rules page: the selection and a
        new rules grid are asked for at once, as the browser does, then the grid's first
        rows (which draw its top products). Timed as one "drill-down click"; returns the
        view's and the rows' answers."""
        started = time.perf_counter()
        value = str(ALL_CUSTOMERS if segment is None else segment)  # a select sends text
        outputs = [(ids.SELECTED_SEGMENT, "data"), *RULE_VIEWS]
        _, view = self.call_together(
            (ids.RULES_SEGMENT, "value"), value, outputs, "drill-down request"
        )
        _, drawn = self._rows_of_view()
        self.record("drill-down click", time.perf_counter() - started, http=False)
        return view, drawn

    def click_rule_view(self, chart: str, trace: int, point: int) -> list[dict] | None:
        """Click a point of the grouped matrix (``RULE_MATRIX``, trace 0) or the item graph
        (``RULE_GRAPH``: trace 1 the rules, 2 the products), as the figure the grid's last
        first block drew has it: the view takes the selection and a new grid is drawn,
        then that grid's first rows (the selected rules; they redraw both views and the
        sentences). Timed as one "rule view click"; returns the rows (None: nothing drawn
        there to click)."""
        data = (self.prop(chart, "figure") or {}).get("data") or []
        points = data[trace].get("customdata") if len(data) > trace else None
        if not isinstance(points, list) or not points:
            return None
        started = time.perf_counter()
        click = {"points": [{"customdata": points[point % len(points)], "curveNumber": trace}]}
        self.call((ids.RULES_VIEW, "data"), (chart, "clickData"), click, kind="rule view request")
        rows, _drawn = self._rows_of_view()
        self.record("rule view click", time.perf_counter() - started, http=False)
        return rows

    def clear_rule_selection(self) -> list[dict]:
        """Press the chip's Clear: every rule of the view is listed again."""
        clicks = (self.prop(ids.RULE_SELECTION_CLEAR, "n_clicks") or 0) + 1
        trigger = (ids.RULE_SELECTION_CLEAR, "n_clicks")
        self.call((ids.RULES_VIEW, "data"), trigger, clicks, kind="rule view request")
        return self.rule_rows()

    # ----- downloads ---------------------------------------------------------------------

    def download(self, link: str, answer: str) -> str:
        """Follow a download link as the page shows it for the page's answer; the file's
        text ("" when the link is not ready or the server refused)."""
        shown = self.call((link, "href"), (answer, "data"), self.prop(answer, "data"), kind="link")
        href = shown.get(link, "href")
        if not href:
            return ""
        response = self.http("GET", href, "download", expect=(200, 404))
        return response.text if response.status_code == 200 else ""

    def download_segments(self) -> str:
        """Open Segments (stored segments answer at once) and follow its download link."""
        if self.prop(ids.SEGMENTS_WORK.answer, "data") is None:
            self.segment()
        return self.download(ids.DOWNLOAD_SEGMENTS, ids.SEGMENTS_WORK.answer)

    def download_rules(self) -> str:
        return self.download(ids.DOWNLOAD_RULES, ids.RULES_WORK.answer)

    def download_products(self) -> str:
        return self.download(ids.DOWNLOAD_ALL_PRODUCTS, ids.RULES_WORK.answer)
