"""The classic "RPA challenge" on the legacy portal: ten rows into a form whose fields move after every submit.

``GET /rpa/challenge.do`` serves a page with a Start button (``#start``) and a seven-field form whose fields are
laid out in a new random order after every submit; each ``<input>`` keeps a stable ``name`` (``labelFirstName``
…) and has a ``<label>`` with the visible text, while its ``id`` changes on every layout. Submitting is done in
the page's JavaScript, with no page load: the values go to ``POST /rpa/submit`` (JSON) and the form is cleared and
shuffled at once. After ten submissions the page shows ``<div class="congratulations">`` with the success rate
the server reported and the milliseconds the page measured from Start. ``GET /rpa/data.json`` gives the ten input
rows (deterministic for a seed); the server keeps what each run submitted (``GET /rpa/results.json``,
:meth:`RpaChallenge.runs`) so a benchmark can check every field.

No session is needed, and faults and the portal's statistics leave these pages alone, like the admin endpoints.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any, Final

from govauto.testing.legacy_portal import pages
from govauto.testing.legacy_portal.forms import FormData

FIELDS: Final = (
    ("labelFirstName", "First Name"),
    ("labelLastName", "Last Name"),
    ("labelCompanyName", "Company Name"),
    ("labelRole", "Role in Company"),
    ("labelAddress", "Address"),
    ("labelEmail", "Email"),
    ("labelPhone", "Phone Number"),
)
"""The form's fields as ``(name attribute, label text)``, in the order of the input rows' columns."""

ROUNDS: Final = 10
"""Rows to enter, one per submit."""

RUNS_KEPT: Final = 100
"""The challenge runs remembered (the oldest are forgotten first)."""

PREFIX: Final = "/rpa/"
JSON_TYPE: Final = "application/json; charset=UTF-8"

_FIRST: Final = ("John", "Jane", "Albert", "Mary", "Peter", "Linda", "Wei", "Fang", "Carlos", "Aisha", "Tom", "Sara",
                 "Hiro", "Olga", "Raj", "Nora", "Ming", "Ivan", "Lucy", "Omar")
_LAST: Final = ("Smith", "Dorsey", "Kipling", "Wang", "Li", "Chen", "Garcia", "Muller", "Rossi", "Tanaka", "Novak",
                "Khan", "Brown", "Zhang", "Silva", "Jensen", "Okafor", "Ivanova", "Kim", "Lopez")
_COMPANY: Final = ("IT Solutions", "MediaNet", "Timepath Inc.", "Aperture", "Northwind Traders", "Globex",
                   "Initech", "Umbrella Works", "Stark Retail", "Blue Harbor", "Pearl River Foods",
                   "Great Wall Logistics", "Lotus Design", "Summit Consulting", "Bright Future Ltd.")
_ROLE: Final = ("Analyst", "Medical Engineer", "Accountant", "IT Specialist", "Programmer", "Sales Manager",
                "Clerk", "Director", "Designer", "Auditor", "Logistics Officer", "Consultant")
_STREET: Final = ("Maple Street", "Kingsway", "Nanshan Avenue", "Riverside Drive", "Station Road", "Harbour Lane",
                  "Park Avenue", "Bridge Street", "Shennan Road", "Hill Crescent")
_DOMAIN: Final = ("itsolutions.co.uk", "mail.com", "example.org", "timepath.net", "globex.com", "company.cn")


def challenge_rows(seed: int = 0) -> list[dict[str, str]]:
    """The ten input rows of the challenge for ``seed``, each keyed by the field labels (:data:`FIELDS`).

    The same seed gives the same rows; the rows of one seed are all different.
    """
    rng = random.Random(f"rpa-challenge:{seed}")
    rows: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    while len(rows) < ROUNDS:
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        if (first, last) in seen:
            continue
        seen.add((first, last))
        values = (first, last, rng.choice(_COMPANY), rng.choice(_ROLE),
                  f"{rng.randint(1, 999)} {rng.choice(_STREET)}",
                  f"{first.lower()}{last.lower()}{rng.randint(1, 99)}@{rng.choice(_DOMAIN)}",
                  f"{rng.randint(4, 9)}{rng.randint(0, 10**9 - 1):09d}")
        rows.append({label: value for (_, label), value in zip(FIELDS, values, strict=True)})
    return rows


@dataclass
class ChallengeRun:
    """One opening of the challenge page and what was submitted from it."""

    run: str
    seed: int
    created_at: str
    rounds: dict[int, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        rounds = [self.rounds[n] for n in sorted(self.rounds)]
        return {"run": self.run, "seed": self.seed, "created_at": self.created_at, "rounds": rounds,
                "submitted": len(rounds), "complete": len(rounds) == ROUNDS,
                "correct": sum(r["correct"] for r in rounds), "fields": ROUNDS * len(FIELDS)}


class ChallengeError(ValueError):
    """A submission the challenge refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class RpaChallenge:
    """The challenge's runs (thread-safe): one per page served, with the rows submitted from it.

    :param default_seed: the seed of the input rows when a request names none.
    """

    def __init__(self, default_seed: int = 0) -> None:
        self.default_seed = default_seed
        self._lock = threading.Lock()
        self._runs: OrderedDict[str, ChallengeRun] = OrderedDict()

    def new_run(self, seed: int | None = None) -> ChallengeRun:
        """Open a run (the page does, each time it is served)."""
        run = ChallengeRun(secrets.token_hex(8), self.default_seed if seed is None else seed,
                           dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"))
        with self._lock:
            self._runs[run.run] = run
            while len(self._runs) > RUNS_KEPT:
                self._runs.popitem(last=False)
        return run

    def submit(self, data: Any) -> dict[str, Any]:
        """Record one submitted row: ``{"run": id, "round": 1..10, "values": {name: text}}``.

        :returns: ``{"run", "round", "correct": fields right, "fields": 7, "wrong": [names]}``.
        :raises ChallengeError: an unknown run, a round out of range or already submitted, values not an object
            of strings.
        """
        if not isinstance(data, Mapping):
            raise ChallengeError('body: must be a JSON object {"run": ..., "round": 1, "values": {...}}')
        number = data.get("round")
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= ROUNDS:
            raise ChallengeError(f"round: must be a whole number from 1 to {ROUNDS}, got {number!r}")
        values = data.get("values")
        if not isinstance(values, Mapping) or not all(isinstance(v, str) for v in values.values()):
            raise ChallengeError("values: must be an object of field name → text, e.g. {\"labelFirstName\": \"John\"}")
        with self._lock:
            run = self._runs.get(str(data.get("run")))
            if run is None:
                raise ChallengeError(f"run: unknown challenge run {data.get('run')!r}; open /rpa/challenge.do again",
                                     404)
            if number in run.rounds:
                raise ChallengeError(f"round: round {number} of run {run.run} was submitted already", 409)
            expected = challenge_rows(run.seed)[number - 1]
            wrong = [name for name, label in FIELDS if values.get(name) != expected[label]]
            row = {"round": number, "values": {name: values.get(name, "") for name, _ in FIELDS},
                   "correct": len(FIELDS) - len(wrong), "wrong": wrong}
            run.rounds[number] = row
        return {"run": run.run, "round": number, "correct": row["correct"], "fields": len(FIELDS), "wrong": wrong}

    def run(self, run_id: str) -> dict[str, Any] | None:
        """One run as a dict (``rounds`` in order, ``correct`` of ``fields``), or ``None``."""
        with self._lock:
            found = self._runs.get(run_id)
            return None if found is None else found.to_dict()

    def runs(self) -> list[dict[str, Any]]:
        """Every run remembered, oldest first."""
        with self._lock:
            return [r.to_dict() for r in self._runs.values()]

    def clear(self) -> None:
        """Forget every run."""
        with self._lock:
            self._runs.clear()

    # ---- HTTP ----------------------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: FormData, body: bytes) -> tuple[int, str, bytes]:
        """Answer a request under ``/rpa/``: ``(status, content type, body)``."""
        routes = {"/rpa/challenge.do": "GET", "/rpa/data.json": "GET", "/rpa/results.json": "GET",
                  "/rpa/submit": "POST"}
        expected = routes.get(path)
        if expected is None:
            return 404, pages.CONTENT_TYPE, pages.not_found_page(path)
        if method != expected:
            return _json(405, {"error": f"{path}: use {expected}"})
        if path == "/rpa/submit":
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                return _json(400, {"error": f"body: not valid UTF-8 JSON ({exc})"})
            try:
                return _json(200, self.submit(data))
            except ChallengeError as exc:
                return _json(exc.status, {"error": str(exc)})
        if path == "/rpa/results.json":
            run_id = query.get("run", "")
            if not run_id:
                return _json(200, {"runs": self.runs()})
            found = self.run(run_id)
            return _json(200, found) if found is not None else _json(404, {"error": f"run: unknown run {run_id!r}"})
        seed_text = query.get("seed", "")
        try:
            seed = int(seed_text) if seed_text else self.default_seed
        except ValueError:
            return _json(400, {"error": f"seed: must be a whole number, got {seed_text!r}"})
        if path == "/rpa/data.json":
            return _json(200, {"seed": seed, "fields": [{"name": n, "label": label} for n, label in FIELDS],
                               "rows": challenge_rows(seed)})
        return 200, pages.CONTENT_TYPE, challenge_page(self.new_run(seed))


def _json(status: int, data: Any) -> tuple[int, str, bytes]:
    return status, JSON_TYPE, json.dumps(data, ensure_ascii=False).encode("utf-8")


_SCRIPT: Final = r"""<script type="text/javascript">
var RUN = '@RUN@', ROUNDS = @ROUNDS@, FIELDS = @FIELDS@;
var round = 0, answers = 0, correct = 0, failed = 0, started = 0, lastOrder = '';
function byId(id) { return document.getElementById(id); }
function shuffle(list) {
  for (var i = list.length - 1; i > 0; i--) {
    var j = Math.floor(Math.random() * (i + 1)), t = list[i]; list[i] = list[j]; list[j] = t;
  }
}
function layout() {   /* a new order (never the last one) and new ids; clears every value */
  var order = FIELDS.slice(), key;
  do { shuffle(order); key = order.map(function (f) { return f[0]; }).join(','); } while (key === lastOrder);
  lastOrder = key;
  var box = byId('fields');
  box.innerHTML = '';
  order.forEach(function (f) {
    var id = 'f' + Math.random().toString(36).slice(2, 10);
    var cell = document.createElement('div'), label = document.createElement('label'),
        input = document.createElement('input');
    cell.className = 'field';
    label.htmlFor = id; label.textContent = f[1];
    input.type = 'text'; input.id = id; input.name = f[0]; input.required = true; input.autocomplete = 'off';
    cell.appendChild(label); cell.appendChild(input); box.appendChild(cell);
  });
  byId('round').textContent = 'Round ' + (round + 1) + ' of ' + ROUNDS;
}
function startChallenge() {
  if (started) return;
  started = performance.now();
  byId('start').disabled = true;
  byId('rpaForm').style.display = '';
  layout();
}
function finish() {
  var elapsed = Math.round(performance.now() - started), total = ROUNDS * FIELDS.length;
  var rate = Math.round(correct * 100 / total), note = failed ? ' (' + failed + ' submissions were not received)' : '';
  var div = document.createElement('div');
  div.className = 'congratulations';
  div.setAttribute('data-success-rate', String(rate));
  div.setAttribute('data-correct', String(correct));
  div.setAttribute('data-elapsed-ms', String(elapsed));
  div.innerHTML = '<div class="message1">Congratulations!</div><div class="message2">Your success rate is ' + rate
    + '% ( ' + correct + ' out of ' + total + ' fields) in ' + elapsed + ' milliseconds' + note + '</div>';
  byId('result').appendChild(div);
  byId('round').textContent = '';
}
function submitRound(event) {
  event.preventDefault();
  if (!started || round >= ROUNDS) return false;
  var values = {}, inputs = byId('fields').getElementsByTagName('input');
  for (var i = 0; i < inputs.length; i++) values[inputs[i].name] = inputs[i].value;
  round += 1;
  fetch('/rpa/submit', {method: 'POST', headers: {'Content-Type': 'application/json'},
                        body: JSON.stringify({run: RUN, round: round, values: values})})
    .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
    .then(function (a) { correct += a.correct; }, function () { failed += 1; })
    .then(function () { answers += 1; if (answers === ROUNDS) finish(); });
  if (round < ROUNDS) { layout(); } else { byId('rpaForm').style.display = 'none'; byId('fields').innerHTML = ''; }
  return false;
}
byId('rpaForm').addEventListener('submit', submitRound);
</script>"""

_STYLE: Final = """<style type="text/css">
#challenge { width: 760px; margin: 20px auto; font-family: Arial, sans-serif; }
#fields { display: flex; flex-wrap: wrap; }
#fields .field { width: 340px; margin: 6px 10px; }
#fields label { display: block; font-weight: bold; }
#fields input { width: 320px; }
.congratulations { margin-top: 16px; padding: 12px; border: 1px solid #3a7; background: #efe; }
</style>
"""


def challenge_page(run: ChallengeRun) -> bytes:
    """``/rpa/challenge.do``: the Start button, the form (hidden until Start) and the script."""
    fields = json.dumps([list(f) for f in FIELDS])
    script = _SCRIPT.replace("@RUN@", run.run).replace("@ROUNDS@", str(ROUNDS)).replace("@FIELDS@", fields)
    body = f"""<div id="challenge" data-run="{escape(run.run)}" data-seed="{run.seed}">
<h2>RPA Challenge</h2>
<p class="intro">Enter the {ROUNDS} rows of <a id="data" href="/rpa/data.json?seed={run.seed}">the input data</a>
into the form, one row per Submit. The fields move after every submit. Click Start to begin; the clock runs from
Start until the last answer is in.</p>
<p><button id="start" type="button" onclick="startChallenge()">Start</button> <span id="round"></span></p>
<form id="rpaForm" name="rpaForm" style="display:none" autocomplete="off">
<div id="fields"></div>
<p><input type="submit" value="Submit"></p>
</form>
<div id="result"></div>
</div>
{script}"""
    return pages.layout("RPA Challenge", body, head=_STYLE)
