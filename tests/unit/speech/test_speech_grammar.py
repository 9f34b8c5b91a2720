"""Phrase templates → finite-state grammar, and the domain templates."""

from __future__ import annotations

import logging

import pytest

from pitstop_local.speech import fsg, grammar
from pitstop_local.speech.asr import Recognizer


def _accepts(g: fsg.CompiledGrammar, text: str) -> bool:
    return g.accepts(text)


def _keep(word: str) -> list[str]:
    return [word]


def test_templates_expand_options_and_choices():
    g = fsg.compile_phrases(["[i'd like to] (book | schedule) [an] oil change [please]"], _keep)
    for ok in ("book oil change", "i'd like to schedule an oil change please",
               "schedule oil change please", "i'd like to book an oil change"):  # fmt: skip
        assert _accepts(g, ok), ok
    for bad in ("oil change", "i'd like to", "book an please", "book oil change please please"):
        assert not _accepts(g, bad), bad


def test_no_null_chains_inside_phrases():
    # create_fsg() does not close null transitions: every null must go straight to `final`.
    g = fsg.compile_phrases(["[a] [b] [c] d", "[x] (y | [z] w)"], _keep, chain_penalty=None)
    assert all(len(t) == 4 or t[1] == g.final for t in g.transitions)
    assert _accepts(g, "d") and _accepts(g, "a c d") and _accepts(g, "w") and _accepts(g, "x z w")


def test_graph_is_shared_not_repeated():
    times = [f"{h} {m}" for h in ("nine", "ten", "eleven") for m in ("o'clock", "thirty")]
    phrases = [f"[(please | yes)] (book | move it to) ({' | '.join(times)}) [please]"]
    g = fsg.compile_phrases(phrases * 3, _keep, chain_penalty=None)
    # Determinised and minimised: a handful of states, not one per expansion.
    assert g.n_states < 12
    assert g.n_phrases == 3


def test_digits_in_templates_are_spelled_and_unknown_words_dropped():
    g = fsg.compile_phrases(
        ["at 9:30", "zzkq", "hello zzkq"], lambda w: None if w == "zzkq" else [w]
    )
    assert _accepts(g, "at nine thirty") and _accepts(g, "hello")
    assert g.dropped_words == {"zzkq"}
    with pytest.raises(ValueError, match="no recognisable phrase"):
        fsg.compile_phrases(["zzkq"], lambda w: None)


@pytest.mark.parametrize("bad", ["(a | b", "a ] b", "[a (b] c)"])
def test_unbalanced_templates_are_rejected(bad):
    with pytest.raises(ValueError, match=r"(missing|unbalanced) .* in phrase"):
        fsg.parse_template(bad)


def test_chaining_adds_a_penalised_hub():
    g = fsg.compile_phrases(["yes", "tuesday [morning]"], _keep, chain_penalty=0.01)
    weights = {t[2] for t in g.transitions if len(t) == 4}
    assert weights == {1.0, 0.01}
    assert g.accepts("yes tuesday morning") and g.accepts("tuesday yes yes")
    single = fsg.compile_phrases(["yes", "tuesday [morning]"], _keep, chain_penalty=None)
    assert single.accepts("tuesday morning") and not single.accepts("yes tuesday morning")


def test_recognizer_vocabulary_splits_and_drops_words(caplog):
    with caplog.at_level(logging.WARNING, logger="pitstop_local.speech.asr"):
        r = Recognizer(["welcome to pitstop", "book qqzx", "goodbye"])
    assert r.spell("pitstop") == ["pit", "stop"]
    assert "qqzx" in r.dropped_words and "qqzx" in caplog.text
    assert r.accepts("welcome to pit stop") and r.accepts("book") and not r.accepts("qqzx")
    assert {"welcome", "pit", "stop", "goodbye"} <= r.words


def test_domain_templates_cover_the_call_flows(domain_phrases, recognizer):
    assert not recognizer.dropped_words
    for line in (
        "hi i'd like to book an oil change for my honda civic",
        "tuesday morning please",
        "yes that works",
        "how about friday at nine thirty",
        "november twenty seventh",
        "i need to reschedule my appointment to next week",
        "i want to cancel my appointment please",
        "can i speak to someone",
        "i want to talk to a person",
        "what's my service history",
        "my name is maria garcia",
        "yes i'll be there",
        "no that doesn't work",
        "that's all thank you goodbye",
    ):
        assert recognizer.accepts(line), line
    assert grammar.covers(domain_phrases, "yes that works")
    assert not recognizer.accepts("order a pizza")


def test_time_and_date_phrases():
    import datetime as dt

    assert "nine thirty" in grammar.time_phrases()
    assert "two p m" in grammar.time_phrases()
    assert "noon" in grammar.time_phrases()
    dates = grammar.date_phrases([dt.date(2025, 11, 27)])
    assert dates == ["november twenty seventh", "the twenty seventh", "twenty seventh of november"]
