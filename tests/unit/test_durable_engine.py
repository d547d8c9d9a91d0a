"""The durable engine gives exactly the matches of the reference (python) engine.

Packs are built directly from IR objects (or compiled from ``when`` texts with a fake pack), and both engines
evaluate the same prepared facts.
"""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govauto.errors import EngineError
from govauto.rules import durable_engine as de
from govauto.rules import ir
from govauto.rules.compiler import CompiledPack, FactSchema, Prepared, Scope, compare_values, compile_pack
from govauto.rules.durable_engine import DurableEngine, num_key, str_key
from govauto.rules.engines import PythonEngine
from govauto.rules.pack import Pack, Rule

OPS: tuple[ir.CompareOp, ...] = ("==", "!=", "<", "<=", ">", ">=")
NAN = float("nan")
INF = float("inf")
ABSENT = object()
"""A value that leaves the key out of the prepared fact."""

VALUES: list[Any] = [
    ABSENT, None, 0, 1, 2, -1, 1.0, 2.5, -0.0, NAN, INF, -INF, 2**53 + 1, float(2**53), 10**30, -(10**30),
    "", "a", "ab", "ab!", "b", "1", "true", "中", "中文", "a b", "#", "[", "\\", '"', "a\x00", "\ud800",
    True, False, [], [1], (), {"x": 1},
]

_python = PythonEngine()


def fake_pack(pack_id: str = "test.pack") -> Pack:
    return Pack(pack_id, "1", "test.matter", "test", Path("."), None, None, [], [], [])


def make_pack(conditions: Sequence[ir.Cond], scope: str = "case", pack_id: str = "test.pack",
              extra_scopes: dict[str, Sequence[ir.Cond]] | None = None) -> CompiledPack:
    scopes: dict[str, Scope] = {}
    compiled: list[ir.CompiledRule] = []
    for scope_name, conds in [(scope, conditions), *(extra_scopes or {}).items()]:
        rules = [ir.CompiledRule(f"r{len(compiled) + n}", len(compiled) + n, scope_name, c)
                 for n, c in enumerate(conds)]
        compiled.extend(rules)
        scopes[scope_name] = Scope(scope_name, rules)
    return CompiledPack(fake_pack(pack_id), scopes, [], compiled, [{} for _ in compiled], {})


def fact_of(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not ABSENT}


def case(*facts: dict[str, Any]) -> Prepared:
    return {"case": [(None, f) for f in facts]}


def F(key: str) -> ir.Fact:
    return ir.Fact(key, key)


def C(value: Any) -> ir.Const:
    return ir.Const(value)


def assert_same(engine: DurableEngine, pack: CompiledPack, prepared: Prepared) -> list[tuple[int, int | None]]:
    expected = _python.evaluate(pack, prepared)
    got = engine.evaluate(pack, prepared)
    assert sorted(got) == sorted(expected), _explain(pack, prepared, got, expected)  # duplicates included
    return got


def _explain(pack: CompiledPack, prepared: Prepared, got: Iterable[Any], expected: Iterable[Any]) -> str:
    diff = set(got) ^ set(expected)
    rules = {m[0]: pack.compiled[m[0]].condition for m in diff}
    facts = {scope: [f for _, f in items] for scope, items in prepared.items()}
    return f"durable and python differ on {sorted(diff)}\nrules: {rules}\nfacts: {facts}"


@pytest.fixture
def engine() -> DurableEngine:
    return DurableEngine()


# ---- encodings -------------------------------------------------------------------------------------------------


NUMBERS = [0, 1, -1, 2, 3, 0.5, -0.5, 1.5, 2.5, 1e-300, 5e-324, -5e-324, 1e300, -1e300, 2**53, 2**53 + 1,
           float(2**53), 2**64 + 3, -(2**64) - 3, 10**40, 0.1, 0.2, 0.3, 1 / 3, -1 / 3, INF, -INF, -0.0, 7, 7.0]
STRINGS = ["", "a", "ab", "ab!", "ab ", "ab\x00", "a\x7f", "#", "$", "[", "\\", "]", '"', "Z", "~", "é", "中",
           "中文", "\ud7ff", "\ud800", "\udfff", "\ue000", "\U0001f600", "ab#", "ab[A", "a[", "a\\"]


def test_number_keys_order_like_the_numbers() -> None:
    for x in NUMBERS:
        for y in NUMBERS:
            assert (num_key(x) < num_key(y)) == (x < y), (x, y)
            assert (num_key(x) == num_key(y)) == (x == y), (x, y)


def test_string_keys_order_like_the_strings_with_a_closing_quote_or_nul_after() -> None:
    for x in STRINGS:
        for y in STRINGS:
            ex, ey = str_key(x).encode("utf-8"), str_key(y).encode("utf-8")
            assert (ex < ey) == (x < y) and (ex == ey) == (x == y), (x, y)
            # durable compares over the longer length, reading the closing quote (message) or NUL (constant)
            for end_x, end_y in ((b'"', b'"'), (b'"', b"\x00"), (b"\x00", b'"')):
                length = max(len(ex), len(ey))
                assert ((ex + end_x)[:length] < (ey + end_y)[:length]) == (x < y), (x, y)
            assert all(byte > 0x22 and byte != 0x5C for byte in ex)


# ---- operators, kinds, missing values ------------------------------------------------------------------------


def test_comparisons_with_constants_of_every_kind(engine: DurableEngine) -> None:
    constants = [0, 1, 2.5, -1, 2**53 + 1, float(2**53), INF, NAN, "", "a", "ab", "中", '"', True, False]
    conds = [ir.Compare(op, F("x"), C(c)) for op in OPS for c in constants]
    conds += [ir.Compare(op, C(c), F("x")) for op in OPS for c in (1, "ab", True)]  # constant on the left
    pack = make_pack(conds)  # 108 rules: several rulesets
    engine.load(pack)
    for value in VALUES:
        assert_same(engine, pack, case(fact_of(x=value)))


def test_comparisons_between_facts(engine: DurableEngine) -> None:
    conds: list[ir.Cond] = [ir.Compare(op, F("x"), F("y")) for op in OPS]
    conds += [ir.Compare(op, F("x"), F("x")) for op in OPS]  # a fact with itself
    pack = make_pack(conds)
    engine.load(pack)
    for x in VALUES:
        for y in VALUES:
            assert_same(engine, pack, case(fact_of(x=x, y=y)))


def test_exists_and_truth_both_ways(engine: DurableEngine) -> None:
    conds: list[ir.Cond] = [ir.Exists(F("x")), ir.Exists(F("x"), negated=True), ir.Truth(F("x")),
                            ir.Truth(F("x"), negated=True), ir.Compare("==", F("x"), C(False)),
                            ir.Compare("!=", F("x"), C(False)), ir.Compare("==", F("x"), C(True))]
    pack = make_pack(conds)
    engine.load(pack)
    for value in VALUES:
        got = assert_same(engine, pack, case(fact_of(x=value)))
        if value is False:
            assert (1, None) not in got and (3, None) in got and (4, None) in got


def test_constant_operands_fold_as_the_ir_defines(engine: DurableEngine) -> None:
    # the compiler emits these for e.g. ``missing('x')``: Exists is ``is not None``, Truth is ``is True/False``
    conds: list[ir.Cond] = [ir.Exists(C("x"), negated=True), ir.Exists(C(0)), ir.Exists(C(None)),
                            ir.Exists(C(None), negated=True), ir.Truth(C(True)), ir.Truth(C(False), negated=True),
                            ir.Truth(C(1)), ir.Truth(C(True), negated=True),
                            ir.All((ir.Exists(C(0)), ir.Truth(F("x")))), ir.Any_((ir.Truth(C(0)), ir.Exists(F("x"))))]
    pack = make_pack(conds)
    assert sorted(engine.evaluate(pack, case({"x": True}))) == [(n, None) for n in (1, 3, 4, 5, 8, 9)]
    assert sorted(engine.evaluate(pack, case({}))) == [(n, None) for n in (1, 3, 4, 5)]


def test_literals_fold_and_nest(engine: DurableEngine) -> None:
    yes, no = ir.Literal_(True), ir.Literal_(False)
    x_small = ir.Compare("<", F("x"), C(3))
    conds: list[ir.Cond] = [yes, no, ir.All((yes, x_small)), ir.All((no, x_small)), ir.Any_((yes, x_small)),
                            ir.Any_((no, x_small)), ir.Any_((no, no)), ir.All((yes, yes)),
                            ir.Compare("==", C(1), C(1.0)), ir.Compare("<", C("a"), C(1)),
                            ir.Compare("!=", C(""), C(1))]
    pack = make_pack(conds)
    engine.load(pack)
    for value in (ABSENT, 1, 5, "a"):
        got = assert_same(engine, pack, case(fact_of(x=value)))
        assert (0, None) in got and (1, None) not in got


def test_nested_all_any_with_fact_comparisons(engine: DurableEngine) -> None:
    a_lt_b = ir.Compare("<", F("a"), F("b"))
    a_ne_c = ir.Compare("!=", F("a"), F("c"))
    c_big = ir.Compare(">=", F("c"), C(2))
    conds: list[ir.Cond] = [
        ir.Any_((ir.Compare("<", F("a"), C(3)), a_lt_b)),
        ir.All((ir.Any_((c_big, ir.Exists(F("b"), True))), a_lt_b)),
        ir.Any_((ir.All((a_lt_b, a_ne_c)), ir.All((c_big, ir.Truth(F("d")))))),
        ir.All((ir.Any_((a_lt_b, a_ne_c)), ir.Any_((ir.Compare("==", F("b"), F("c")), ir.Exists(F("d"), True))))),
        ir.Any_((ir.Exists(F("a"), True), ir.Exists(F("b"), True))),  # holds without any property
    ]
    pack = make_pack(conds)
    engine.load(pack)
    small = [ABSENT, 0, 1, 2, 2.0, "a", "b", True, False, NAN]
    for a in small:
        for b in small:
            for c in (ABSENT, 1, 2, "a"):
                assert_same(engine, pack, case(fact_of(a=a, b=b, c=c, d=True), fact_of(a=a, b=b, c=c)))


def test_item_scopes_give_item_indexes(engine: DurableEngine) -> None:
    pack = make_pack([ir.Exists(F("x"))], extra_scopes={
        "business.premises": [ir.Compare("==", F("item__kind"), C("online")),
                              ir.Compare("!=", F("item__kind"), F("x"))]})
    prepared: Prepared = {"case": [(None, {"x": "shop"})],
                          "business.premises": [(0, {"item__kind": "online", "x": "shop"}),
                                                (1, {"item__kind": "shop", "x": "shop"}), (2, {})]}
    got = assert_same(engine, pack, prepared)
    assert sorted(got, key=str) == sorted([(0, None), (1, 0), (2, 0)], key=str)


def test_compiled_from_when_texts(engine: DurableEngine) -> None:
    whens = ["age >= 16 and age < 18 and not applicant.own_income", "applicant.public_servant",
             "missing(business.capital) or business.capital <= 0", "organisation == 'family' and age > limit",
             "not (age < limit or organisation != 'family')", "age != limit and missing(applicant.name)"]
    rules = [Rule(f"r.{n}", "t", when, "reject", "m", "b", "rules.yaml", n + 1) for n, when in enumerate(whens)]
    pack_source = fake_pack()
    pack_source.rules = rules
    schema = FactSchema(frozenset({"age", "limit", "applicant.own_income", "applicant.public_servant",
                                   "business.capital", "organisation", "applicant.name"}), {})
    pack, problems = compile_pack(pack_source, schema, {})
    assert not problems
    engine.load(pack)
    for age in (ABSENT, 15, 16, 17.5, 18, "16"):
        for limit in (ABSENT, 16, 17, "x"):
            for organisation in (ABSENT, "family", "single"):
                fact = fact_of(age=age, limit=limit, organisation=organisation, applicant__own_income=False,
                               applicant__public_servant=True, business__capital=0)
                assert_same(engine, pack, case(fact))


# ---- durable's limits ------------------------------------------------------------------------------------------


def test_more_than_64_matching_rules_in_a_scope(engine: DurableEngine) -> None:
    conds: list[ir.Cond] = [ir.Compare("<", F(f"k{n % 7}"), C(n)) for n in range(100)]
    conds += [ir.Any_(tuple(ir.Compare(">", F(f"k{m}"), C(-m)) for m in range(6))) for _ in range(40)]  # all branches
    conds += [ir.Exists(F("k1"), negated=True) for _ in range(70)]
    conds += [ir.Literal_(True) for _ in range(70)]
    pack = make_pack(conds)
    engine.load(pack)
    got = assert_same(engine, pack, case({f"k{m}": 0 for m in range(7)}))
    assert len(got) == 99 + 40 + 70


def test_large_conditions_are_split_to_durables_limits(engine: DurableEngine) -> None:
    atoms = [ir.Compare("!=", F(f"k{n}"), C(n)) for n in range(12)]
    deep: ir.Cond = atoms[0]
    for n, atom in enumerate(atoms[1:], 1):  # 11 levels of alternating nesting: many groups
        deep = ir.All((atom, deep)) if n % 2 else ir.Any_((atom, deep, ir.Exists(F(f"k{n}"), True)))
    chain = ir.All(tuple(ir.Compare("<=", F(f"k{n % 30}"), C(n)) for n in range(120)))  # one long $and
    wide = ir.Any_(tuple(ir.Compare("==", F(f"k{n % 30}"), C(n)) for n in range(90)))
    joins = ir.All(tuple(ir.Any_((ir.Compare("<", F(f"k{n}"), F(f"k{n + 1}")), ir.Truth(F("flag"))))
                         for n in range(4)))
    pack = make_pack([deep, chain, wide, joins])
    engine.load(pack)
    for base in (0, 1, 5, 40):
        for flag in (True, False):
            fact = {f"k{n}": base + (n % 3) for n in range(30)}
            fact["flag"] = flag
            assert_same(engine, pack, case(fact, {}, {"k3": 3, "flag": flag}))


def test_a_scope_reading_too_many_keys_is_refused(engine: DurableEngine) -> None:
    pack = make_pack([ir.Exists(F(f"k{n}")) for n in range(251)])
    with pytest.raises(EngineError, match="251 values"):
        engine.load(pack)


def test_an_overlong_string_is_refused_not_compared_wrongly(engine: DurableEngine) -> None:
    pack = make_pack([ir.Compare("==", F("x"), C("a")), ir.Exists(F("y"))])
    engine.load(pack)
    assert_same(engine, pack, case({"x": "a" * 16_000, "y": "b" * 100_000}))  # y is only tested for presence
    with pytest.raises(EngineError, match="longer than durable can compare"):
        engine.evaluate(pack, case({"x": "a" * 70_000}))
    with pytest.raises(EngineError, match="string constant"):
        engine.load(make_pack([ir.Compare("==", F("x"), C("a" * 70_000))]))


def test_durable_errors_become_engine_errors_naming_rules(engine: DurableEngine,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(de, "STACK_BUDGET", 10_000)  # let rulesets overflow durable's stack
    monkeypatch.setattr(de, "MAX_RULES_PER_RULESET", 10_000)
    pack = make_pack([ir.Compare("<", F(f"k{n}"), C(1)) for n in range(80)])
    engine.load(pack)
    with pytest.raises(EngineError, match=r"r0, r1.*error code: 303"):
        engine.evaluate(pack, case({f"k{n}": 0 for n in range(80)}))
    assert_same(engine, pack, case({"k0": 0}))  # the failed session was deleted; the engine still works
    loaded = engine._loaded[id(pack)][1]
    assert not loaded.sink and not loaded.ready

    monkeypatch.setattr(de, "MAX_GROUPS", 100)  # let a rule hold more groups than durable's sequence
    nested: ir.Cond = ir.Exists(F("a"))
    for n in range(20):
        nested = ir.All((ir.Any_((nested, ir.Exists(F(f"k{n}")))), ir.Exists(F("a"))))
    with pytest.raises(EngineError, match=r"rule r1: .*error code: 113"):
        engine.load(make_pack([ir.Exists(F("a")), nested]))


# ---- sessions, packs, threads --------------------------------------------------------------------------------


def test_many_evaluations_leave_no_sessions(engine: DurableEngine) -> None:
    conds: list[ir.Cond] = [ir.Compare("<", F("x"), C(5)), ir.Compare("<", F("x"), F("y")),
                            ir.Exists(F("z"), negated=True), ir.Compare("==", F("x"), C(99))]
    pack = make_pack(conds)
    engine.load(pack)
    loaded = engine._loaded[id(pack)][1]
    rulesets = [r for plan in loaded.scopes.values() for r in plan.rulesets]
    assert len(rulesets) == 2  # one of alpha tests, one of joins
    for n in range(3_000):  # a durable ruleset holds at most 1,024 open sessions
        assert_same(engine, pack, case({"x": n % 10, "y": 5}))
    assert not loaded.sink and not loaded.ready
    last = str(next(engine._sids) - 1)
    for ruleset in rulesets:
        with pytest.raises(Exception, match="309"):  # the session is gone
            ruleset.ruleset.get_state(last)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")
def test_memory_stays_flat(engine: DurableEngine) -> None:
    pack = make_pack([ir.Compare("<", F("x"), C(5)), ir.Compare("!=", F("x"), F("y")), ir.Truth(F("t")),
                      ir.Any_((ir.Exists(F("z"), True), ir.Compare("==", F("y"), C("b"))))])
    engine.load(pack)
    prepared = case({"x": 1, "y": "b", "t": True})
    for _ in range(3_000):
        engine.evaluate(pack, prepared)
    gc.collect()
    before = _rss_bytes()
    for _ in range(30_000):
        engine.evaluate(pack, prepared)
    gc.collect()
    assert _rss_bytes() - before < 4 * 2**20


def test_packs_and_engines_coexist() -> None:
    first, second = DurableEngine(), DurableEngine()
    pack_a = make_pack([ir.Compare("<", F("x"), C(5))], pack_id="a")
    pack_b = make_pack([ir.Compare(">", F("x"), C(5))], pack_id="b")  # same scope and ruleset names
    for engine in (first, second):
        engine.load(pack_a)
        engine.load(pack_b)
    for engine in (first, second):
        assert engine.evaluate(pack_a, case({"x": 1})) == [(0, None)]
        assert engine.evaluate(pack_b, case({"x": 1})) == []
        assert engine.evaluate(pack_b, case({"x": 9})) == [(0, None)]
    first.load(pack_a)  # reloading replaces the pack's rulesets
    assert first.evaluate(pack_a, case({"x": 1})) == [(0, None)]
    assert DurableEngine().evaluate(pack_a, case({"x": 1})) == [(0, None)]  # loads on first use
    del first, second
    gc.collect()  # the Hosts' rulesets are freed


def test_concurrent_evaluations_keep_their_own_matches() -> None:
    shared = DurableEngine()
    pack = make_pack([ir.Compare("<", F("x"), C(n)) for n in range(20)] + [ir.Compare("<", F("x"), F("y"))])
    shared.load(pack)
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for n in range(300):
                x = (n + offset) % 25
                assert_same(shared, pack, case({"x": x, "y": offset}))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]


# ---- property-based differential test ------------------------------------------------------------------------

KEYS = ("a", "b", "c")
SCALARS = st.sampled_from([0, 1, 2, -1, 0.0, 1.0, 1.5, -0.5, NAN, INF, "", "a", "b", "ab", "1", "中", True, False])
VALUE_OR_ABSENT = st.one_of(SCALARS, st.just(ABSENT), st.just(ABSENT), st.sampled_from([None, [], [1]]))
OPERANDS = st.one_of(st.sampled_from([F(k) for k in KEYS]), st.sampled_from([F(k) for k in KEYS]),
                     SCALARS.map(ir.Const))
ATOMS = st.one_of(
    st.builds(ir.Compare, st.sampled_from(OPS), OPERANDS, OPERANDS),
    st.builds(ir.Compare, st.sampled_from(OPS), st.sampled_from([F(k) for k in KEYS]), SCALARS.map(ir.Const)),
    st.builds(ir.Exists, st.sampled_from([F(k) for k in KEYS]), st.booleans()),
    st.builds(ir.Truth, st.sampled_from([F(k) for k in KEYS]), st.booleans()),
    st.builds(ir.Literal_, st.booleans()),
)
CONDITIONS = st.recursive(
    ATOMS,
    lambda inner: st.one_of(st.builds(ir.All, st.lists(inner, min_size=1, max_size=4).map(tuple)),
                            st.builds(ir.Any_, st.lists(inner, min_size=1, max_size=4).map(tuple))),
    max_leaves=14,
)
FACTS = st.fixed_dictionaries({k: VALUE_OR_ABSENT for k in KEYS}).map(lambda d: fact_of(**d))

_hypothesis_engine = DurableEngine()


@settings(max_examples=2_500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditions=st.lists(CONDITIONS, min_size=1, max_size=5), facts=st.lists(FACTS, min_size=1, max_size=4),
       items=st.lists(FACTS, max_size=3))
def test_random_conditions_agree_with_the_python_engine(conditions: list[ir.Cond], facts: list[dict[str, Any]],
                                                          items: list[dict[str, Any]]) -> None:
    pack = make_pack(conditions, extra_scopes={"things": conditions[:2]})
    prepared: Prepared = {"case": [(None, f) for f in facts], "things": list(enumerate(items))}
    assert_same(_hypothesis_engine, pack, prepared)


def test_compare_values_is_the_reference_for_nan_and_kinds() -> None:
    # the encodings rely on NaN comparing like a value of an unknown kind
    for other in (1, 1.5, NAN, "a", True, [1]):
        assert compare_values("==", NAN, other) is compare_values("==", [2], other) is False
        assert compare_values("!=", NAN, other) is compare_values("!=", [2], other) is True
        assert compare_values("<", NAN, other) is compare_values("<", [2], other) is False
    assert math.isnan(NAN)
