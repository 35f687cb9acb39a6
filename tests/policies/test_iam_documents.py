"""The IAM document helpers the rules share: normalising every spelling of a document, IAM's
wildcard matching (checked against a brute-force reference), set containment and intersection of
wildcard patterns (checked against enumeration), admin-like and escalation grants, and who a
statement admits."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.iam_documents import (
    ESCALATION_ACTIONS,
    action_matches,
    admin_grants,
    escalation_grants,
    everyone_grants,
    glob_contains,
    glob_intersects,
    parse_document,
    resource_matches,
)
from policies.values import ValueProblem


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", **fields}


# --- brute-force references ----------------------------------------------------------------------


def reference_match(pattern: str, text: str) -> bool:
    """IAM wildcard matching by plain recursion: `*` any run, `?` one character."""
    if not pattern:
        return not text
    if pattern[0] == "*":
        return any(reference_match(pattern[1:], text[i:]) for i in range(len(text) + 1))
    if not text:
        return False
    return (pattern[0] == "?" or pattern[0] == text[0]) and reference_match(pattern[1:], text[1:])


ALPHABET = "ab:"
PATTERN_ALPHABET = "ab:*?"


def words(max_len: int) -> list[str]:
    return ["".join(p) for n in range(max_len + 1) for p in itertools.product(ALPHABET, repeat=n)]


WORDS = words(6)
patterns = st.text(alphabet=PATTERN_ALPHABET, max_size=4)


@settings(max_examples=400, deadline=None)
@given(pattern=st.text(alphabet="aB:*?", max_size=6), text=st.text(alphabet="abAB:", max_size=8))
def test_action_matching_agrees_with_the_reference_ignoring_case(pattern, text):
    assert action_matches(pattern, text) == reference_match(pattern.lower(), text.lower())


@settings(max_examples=400, deadline=None)
@given(pattern=st.text(alphabet="aB:*?", max_size=6), text=st.text(alphabet="abAB:", max_size=8))
def test_resource_matching_agrees_with_the_reference_and_keeps_case(pattern, text):
    assert resource_matches(pattern, text) == reference_match(pattern, text)


@settings(max_examples=600, deadline=None)
@given(pattern=st.text(alphabet="aA*", max_size=8), text=st.text(alphabet="aAb", max_size=10))
def test_star_only_patterns_agree_with_the_reference(pattern, text):
    """Star-only patterns take the literal-run path (runs found leftmost, in order): runs that
    repeat and overlap (`a*aa*a` on `aaa`) decide as the reference does, folded or not."""
    assert resource_matches(pattern, text) == reference_match(pattern, text)
    assert action_matches(pattern, text) == reference_match(pattern.lower(), text.lower())


def test_non_ascii_patterns_and_texts_are_matched_as_before():
    assert action_matches("s3:Ü*", "S3:üx") and not action_matches("s3:Ü*", "s3:ux")
    assert resource_matches("arn:aws:s3:::bück*/*", "arn:aws:s3:::bücket/k")
    assert not resource_matches("arn:aws:s3:::Bück*", "arn:aws:s3:::bücket")


@settings(max_examples=300, deadline=None)
@given(outer=patterns, inner=patterns)
def test_containment_agrees_with_enumeration(outer, inner):
    # Words up to 6 characters are enough: a counterexample, if any, is no longer than the two
    # patterns' literal parts plus one character per star.
    expected = all(reference_match(outer, w) for w in WORDS if reference_match(inner, w))
    assert glob_contains(outer, inner) == expected, (outer, inner)


@settings(max_examples=300, deadline=None)
@given(a=patterns, b=patterns)
def test_intersection_agrees_with_enumeration(a, b):
    expected = any(reference_match(a, w) and reference_match(b, w) for w in WORDS)
    assert glob_intersects(a, b) == expected, (a, b)


star_patterns = st.text(alphabet="ab*", max_size=4)  # a witness fits in WORDS


@settings(max_examples=400, deadline=None)
@given(outer=star_patterns, inner=star_patterns)
def test_star_only_containment_and_intersection_agree_with_enumeration(outer, inner):
    """Star-only pairs are decided without the automata (`outer` matching `inner` with its stars
    as a character `outer` never names; ends that agree): the same answers as enumeration."""
    contained = all(reference_match(outer, w) for w in WORDS if reference_match(inner, w))
    assert glob_contains(outer, inner) == contained, (outer, inner)
    met = any(reference_match(outer, w) and reference_match(inner, w) for w in WORDS)
    assert glob_intersects(outer, inner) == met, (outer, inner)


@settings(max_examples=200, deadline=None)
@given(outer=st.text(alphabet="aB*", max_size=4), inner=st.text(alphabet="Ab*", max_size=4))
def test_folded_star_only_containment_agrees_with_enumeration(outer, inner):
    o, i = outer.lower(), inner.lower()
    contained = all(reference_match(o, w) for w in WORDS if reference_match(i, w))
    assert glob_contains(outer, inner, fold=True) == contained, (outer, inner)
    met = any(reference_match(o, w) and reference_match(i, w) for w in WORDS)
    assert glob_intersects(outer, inner, fold=True) == met, (outer, inner)


def test_star_only_pairs_too_long_to_judge_fail_closed():
    long = "a*" * 300
    with pytest.raises(ValueProblem):
        glob_contains(long, "a*")
    with pytest.raises(ValueProblem):
        glob_intersects("*", long)


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        ("*", "iam:?*", True),
        ("iam*", "iam:?*", True),
        ("IAM:*", "iam:?*", False),  # containment itself is case-sensitive unless folded
        ("iam:Get*", "iam:?*", False),
        ("*:*", "?*:?*", True),
        ("s3:*", "?*:?*", False),
    ],
)
def test_containment_examples(outer, inner, expected):
    assert glob_contains(outer, inner) is expected


def test_action_containment_folds_case():
    assert glob_contains("IAM:*", "iam:?*", fold=True)


# --- parsing --------------------------------------------------------------------------------------


def test_every_spelling_of_a_statement_normalises_alike():
    as_lists = parse_document(
        doc(allow(Action=["s3:GetObject"], Resource=["*"], Principal={"AWS": ["*"]}))
    )
    as_strings = parse_document(
        {"Statement": allow(Action="s3:GetObject", Resource="*", Principal="*")}
    )
    assert as_lists[0].actions == as_strings[0].actions == ("s3:GetObject",)
    assert as_lists[0].resources == as_strings[0].resources == ("*",)
    assert as_lists[0].principals == as_strings[0].principals == {"AWS": ("*",)}


def test_conditions_normalise_keys_to_lower_case_and_values_to_lists():
    (s,) = parse_document(
        doc(allow(Action="sts:AssumeRole", Condition={"Bool": {"AWS:SecureTransport": True}}))
    )
    assert s.conditions[0].key == "aws:securetransport"
    assert s.conditions[0].values == ("true",)


@pytest.mark.parametrize(
    "bad",
    [
        "not json",
        "[1, 2]",
        doc({"Effect": "Maybe", "Action": "*"}),
        doc(allow(Resource="*")),
        doc(allow(Action="*", NotAction="iam:*")),
        doc(allow(Action=["s3:GetObject", 7])),
        doc(allow(Action="*", Principal={"Somebody": "x"})),
        doc(allow(Action="*", Condition={"StringEquals": "x"})),
        json.dumps({"Statement": "everything"}),
        json.dumps({"Statement": [1]}),
    ],
)
def test_unreadable_documents_raise_instead_of_passing(bad):
    with pytest.raises(ValueProblem):
        parse_document(bad)


def test_absent_and_empty_documents_have_no_statements():
    assert parse_document(None) == []
    assert parse_document("") == []
    assert parse_document("{}") == []


def test_a_deeply_nested_document_is_refused_not_crashed_on():
    with pytest.raises(ValueProblem):
        parse_document("[" * 100_000 + "]" * 100_000)


# --- admin-like and escalation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "grants"),
    [
        (allow(Action="*", Resource="*"), ["*"]),
        (allow(Action="*:*", Resource="arn:*"), ["*"]),
        (allow(Action="iam*", Resource="*"), ["iam:*"]),
        (allow(Action="IAM:*", Resource="*"), ["iam:*"]),
        (allow(Action="s3:*", Resource="arn:aws:s3:::*"), ["s3:*"]),
        (allow(Action="iam:*", Resource="arn:aws:iam::*:*"), ["iam:*"]),
        (allow(Action="iam:*", Resource="arn:aws:iam::123456789012:*"), ["iam:*"]),
    ],
)
def test_admin_like_grants_however_spelled(statement, grants):
    (found,) = admin_grants(parse_document(doc(statement)))
    assert found[1] == grants


def test_not_action_on_every_resource_is_admin_like_over_the_other_services():
    (found,) = admin_grants(parse_document(doc(allow(NotAction="iam:*", Resource="*"))))
    assert "s3:*" in found[1]
    assert "iam:*" not in found[1]


@pytest.mark.parametrize(
    "statement",
    [
        allow(Action="ec2:Describe*", Resource="*"),
        allow(Action="s3:*", Resource="arn:aws:s3:::one-bucket/*"),
        allow(Action="iam:*", Resource="arn:aws:iam::*:role/app-*"),
        {"Effect": "Deny", "Action": "*", "Resource": "*"},
    ],
)
def test_scoped_statements_are_not_admin_like(statement):
    assert admin_grants(parse_document(doc(statement))) == []


def test_an_unconditional_deny_of_all_of_it_takes_the_grant_back():
    statements = parse_document(
        doc(
            allow(Action="iam:*", Resource="*"),
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
        )
    )
    assert admin_grants(statements) == []


@pytest.mark.parametrize(
    "deny",
    [
        {"Effect": "Deny", "Action": "*:NoSuchAction", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": ["*any*", "*other*", "*x1"]},
        {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"},
    ],
)
def test_a_deny_of_a_part_does_not_take_the_grant_back(deny):
    # Denying a name that does not exist, or some resources, leaves the rest granted; a Deny of
    # everything but one action is reported too: the helpers cannot tell real names from others.
    statements = parse_document(doc(allow(Action="*", Resource="*"), deny))
    assert admin_grants(statements)[0][1] == ["*"]


def test_a_deny_of_some_roles_leaves_pass_role_on_the_others():
    statements = parse_document(
        doc(
            allow(Action="iam:PassRole", Resource="*"),
            {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/a*"},
        )
    )
    assert escalation_grants(statements)[0][1] == ["iam:PassRole"]


def test_a_service_missing_from_the_known_list_is_still_admin_like():
    (found,) = admin_grants(parse_document(doc(allow(Action=["lightsa*", "accou*"], Resource="*"))))
    assert found[1] == ["accou*:*", "lightsa*:*"]


def test_crafted_patterns_fail_closed_instead_of_stalling():
    # A backtracking matcher takes minutes on the first; a full subset construction on the
    # second. The automata answer at once, or refuse (the rule then fails closed).
    assert not resource_matches("*?" * 40 + "#", "a" * 200)
    with pytest.raises(ValueProblem):
        glob_intersects("*a" + "?" * 40 + "#", "*b" + "?" * 40 + "#")
    deny = {"Effect": "Deny", "Action": "*a" + "?" * 40 + "#", "Resource": "*"}
    try:
        found = admin_grants(parse_document(doc(allow(Action="*", Resource="*"), deny)))
    except ValueProblem:
        return
    assert found[0][1] == ["*"]


def test_patterns_naming_hundreds_of_characters_refuse_within_a_bounded_walk(monkeypatch):
    """Pairs of `?` patterns naming hundreds of characters (found by a review: 30 s and more
    before refusing) are refused once pairs times characters pass MAX_TRANSITIONS: counted in
    the automaton's steps, not timed."""
    from policies import iam_documents  # noqa: PLC0415

    steps: list[tuple[Any, ...]] = []
    step = iam_documents._step

    def counted(*args: Any) -> Any:
        steps.append(args)
        return step(*args)

    monkeypatch.setattr(iam_documents, "_step", counted)
    names = [chr(c) for c in range(0x21, 0x7F) if chr(c) not in "*?"]
    names += [chr(c) for c in range(0x100, 0x100 + 400)]
    a = "*" + "".join(c + "?*" for c in names[:160])[:510]
    b = "*" + "".join(names[160:330]) + "*"
    with pytest.raises(ValueProblem):
        glob_intersects.__wrapped__(a, b)
    assert len(steps) <= 2 * iam_documents.MAX_TRANSITIONS
    # ordinary patterns, even with `?`, are answered as before
    assert glob_intersects.__wrapped__("arn:aws:s3:::?*/logs/*", "arn:aws:s3:::bucket/*")
    assert not glob_contains.__wrapped__("arn:aws:s3:::b?*/*", "arn:aws:s3:::?*/*")


def test_repeated_keys_and_huge_numbers_are_refused():
    with pytest.raises(ValueProblem):
        parse_document(
            '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}], "Statement": []}'
        )
    with pytest.raises(ValueProblem):
        parse_document('{"Statement": [], "Version": ' + "9" * 5000 + "}")


def test_a_conditional_deny_does_not_take_the_grant_back():
    statements = parse_document(
        doc(
            allow(Action="*", Resource="*"),
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
            },
        )
    )
    assert admin_grants(statements)[0][1] == ["*"]


@pytest.mark.parametrize("action", sorted(ESCALATION_ACTIONS))
def test_each_escalation_action_on_star_is_found(action):
    (found,) = escalation_grants(parse_document(doc(allow(Action=action, Resource="*"))))
    assert action in found[1]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (allow(Action="iam:Attach*Policy", Resource="*"), 3),
        (allow(Action="iam:PassRole", Resource="arn:aws:iam::*:role/*"), 1),
        (allow(Action="iam:Pass*", Resource="arn:aws:iam::123456789012:role/*"), 1),
        (allow(Action="lambda:Update*", Resource="arn:aws:lambda:eu-west-1:123456789012:*"), 2),
        (allow(Action="iam:PassRole", Resource="arn:aws:iam::123:role/app-runner"), 0),
        (allow(Action="sts:AssumeRole", Resource="arn:aws:iam::*:role/baseline-deployer-*"), 0),
        (allow(NotAction="s3:*", Resource="*"), len(ESCALATION_ACTIONS)),
    ],
)
def test_escalation_judges_effective_actions_and_resources(statement, expected):
    found = escalation_grants(parse_document(doc(statement)))
    assert sum(len(actions) for _, actions in found) == expected


# --- principals -----------------------------------------------------------------------------------

EVERYONE = [
    "*",
    {"AWS": "*"},
    {"AWS": ["arn:aws:iam::123456789012:root", "*"]},
    {"AWS": "arn:aws:iam::*:root"},
]


@pytest.mark.parametrize("principal", EVERYONE, ids=[json.dumps(p) for p in EVERYONE])
def test_everyone_without_a_condition(principal):
    assert everyone_grants(parse_document(doc(allow(Action="s3:GetObject", Principal=principal))))


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceAccount": "123456789012"}},
        {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket"}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
        {"StringEquals": {"aws:SourceVpce": "vpce-1"}},
        {"StringEquals": {"kms:CallerAccount": "123456789012"}},
        {"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:123456789012:trail/*"}},
        {"StringLike": {"aws:PrincipalOrgPaths": "o-abcdefghij/r-ab12/*"}},
    ],
)
def test_narrowing_conditions_admit_only_known_callers(condition):
    statement = allow(Action="s3:GetObject", Principal="*", Condition=condition)
    assert everyone_grants(parse_document(doc(statement))) == []


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEqualsIfExists": {"aws:SourceAccount": "123456789012"}},
        {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
        {"StringLike": {"aws:SourceArn": "*"}},
        {"StringNotEquals": {"aws:SourceAccount": "123456789012"}},
        {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
        {"StringEquals": {"aws:UserAgent": "me"}},
        {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*"}},
        {"StringLike": {"aws:PrincipalAccount": "1*"}},
        {"ArnLike": {"aws:SourceArn": "arn:*"}},
        {"StringLike": {"aws:SourceVpce": "vpce-*"}},
        {"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}},
    ],
)
def test_conditions_that_do_not_narrow(condition):
    statement = allow(Action="s3:GetObject", Principal="*", Condition=condition)
    assert everyone_grants(parse_document(doc(statement)))


def test_not_principal_with_allow_admits_everyone_else():
    statement = allow(Action="sns:Publish", NotPrincipal={"AWS": "arn:aws:iam::1:root"})
    assert everyone_grants(parse_document(doc(statement)))


def test_named_principals_and_deny_statements_are_not_everyone():
    statements = parse_document(
        doc(
            allow(Action="kms:*", Principal={"AWS": "arn:aws:iam::123456789012:root"}),
            allow(Action="sns:Publish", Principal={"Service": "cloudwatch.amazonaws.com"}),
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*"},
        )
    )
    assert everyone_grants(statements) == []


def test_pattern_pairs_are_remembered_within_a_bound():
    """The packs live across gate runs and are sent patterns from any export: the pairs they
    remember are bounded, and an answer past the bound is still the right one."""
    from policies import iam_documents  # noqa: PLC0415

    for judge in (iam_documents.glob_contains, iam_documents.glob_intersects):
        assert judge.cache_info().maxsize == iam_documents.GLOB_MEMORY
    iam_documents.glob_contains.cache_clear()
    for i in range(iam_documents.GLOB_MEMORY + 10):
        assert iam_documents.glob_contains(f"b{i}-*", f"b{i}-x")
    assert iam_documents.glob_contains.cache_info().currsize == iam_documents.GLOB_MEMORY
    assert not iam_documents.glob_contains("b0-x*", "b0-*")  # wildcards both sides, past it
