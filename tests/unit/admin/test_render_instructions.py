"""Filling the shop's own instructions for one call."""

from __future__ import annotations

from pitstop.templates import render_template

VALUES = {"shop_name": "Main St Motors", "persona_name": "Robin", "customer_first_name": "Alex"}


def test_every_variable_is_filled_from_the_call():
    text = "You are {persona_name} at {shop_name}. Greet {customer_first_name} by name."
    assert render_template(text, VALUES) == ("You are Robin at Main St Motors. Greet Alex by name.")


def test_an_unknown_caller_gets_a_neutral_word_never_a_literal_placeholder():
    text = "Greet {customer_first_name} warmly; the line is {shop_phone}."
    rendered = render_template(text, {**VALUES, "customer_first_name": None})
    assert rendered == "Greet the caller warmly; the line is ."
    assert "{" not in rendered


def test_literal_braces_and_text_saved_before_the_check_pass_through():
    assert render_template("Say {{ and }} literally", VALUES) == "Say { and } literally"
    assert render_template("Price {unknown} stays", VALUES) == "Price {unknown} stays"
    assert render_template("Broken { brace", VALUES) == "Broken { brace"
