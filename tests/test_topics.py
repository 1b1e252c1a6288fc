"""Topics read from a turn's wording: regulated ones a qualified person must answer, and service
ones that shape a handover (a complaint, a complaint about staff, a health circumstance)."""

from __future__ import annotations

import pytest

from warmline.nlu.topics import regulated_topics, turn_topics


@pytest.mark.parametrize(
    "text",
    [
        "the agent at the gate was rude",
        "your staff member was unhelpful",
        "I want to complain about the person I spoke to",
        "the man at the desk was so rude",
        "a rude gate agent shouted at me",
        "the crew ignored my requests the whole flight",
        "I have a complaint about your delivery driver",
    ],
)
def test_a_complaint_about_staff_is_a_service_complaint_never_a_regulated_one(text: str) -> None:
    topics = turn_topics(text)
    assert "staff_complaint" in topics and "complaint" in topics
    assert regulated_topics(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "I'll report you to the ombudsman",
        "I'll report you to the regulator",
        "I'll report you to the DOT",
        "I will report this to the FTC",
        "I want to file a formal complaint with the Department of Transportation",
        "the agent was rude and I'll report you to the regulator",
    ],
)
def test_a_complaint_taken_to_a_regulator_stays_regulated(text: str) -> None:
    topics = turn_topics(text)
    assert "regulated_complaint" in topics
    assert "staff_complaint" not in topics and "complaint" not in topics


@pytest.mark.parametrize(
    "text",
    [
        "I'd like to complain about the delay",
        "I want to file a complaint",
        "I have a complaint about my seat",
        "how do I make a complaint",
    ],
)
def test_complaint_wording_is_a_complaint_however_calm(text: str) -> None:
    assert turn_topics(text) == ["complaint"]


@pytest.mark.parametrize(
    "text",
    [
        "the gate agent said my bag was too big",
        "can I talk to an agent",
        "I was rude to the agent, sorry",
        "the agent was really helpful",
        "talk to a person, this bot is useless",
        "I want a person because this bot is useless",
        "I can't complain",
        "no complaints here, just checking my order",
    ],
)
def test_staff_named_without_a_complaint_is_no_complaint(text: str) -> None:
    assert turn_topics(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "my son is ill and can't travel",
        "I broke my leg and need to cancel",
        "cancel my reservation, I'm sick",
        "I need to cancel for medical reasons",
        "my wife is in hospital, please cancel the trip",
        "my dad had a heart attack so we must cancel",
    ],
)
def test_a_health_circumstance_is_an_ordinary_request(text: str) -> None:
    assert turn_topics(text) == ["health_circumstance"]
    assert regulated_topics(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "is it safe to fly while pregnant",
        "can I fly with a blood clot",
        "am I fit to fly after my operation",
        "should I travel with a broken ankle",
        "I think I'm having a heart attack",
    ],
)
def test_a_health_advice_question_stays_regulated(text: str) -> None:
    assert "health" in regulated_topics(text)


@pytest.mark.parametrize(
    "text", ["can I fly with a broken suitcase", "can I travel with my dog", "the lamp is broken"]
)
def test_travel_with_things_is_no_health_topic(text: str) -> None:
    assert turn_topics(text) == []
