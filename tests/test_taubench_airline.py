"""The scripted airline customer of the tau-bench benchmark (benchmarks/taubench_kit/
airline_customer.py): which trip, dates, flights, cabin, bags, passengers, insurance and payment
it answers from a made-up instruction and its own made-up trips, and the proposals it says yes
or no to (no NLU, no back office); and the airline development and held-out sets, whose gold
calls must replay on the reference back office and hold to the airline policy."""

from __future__ import annotations

import asyncio
import copy
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks" / "taubench_dev"))

import check_airline
from taubench_kit.airline_customer import AirlineCustomer
from taubench_kit.airline_offers import pick_offer
from taubench_kit.airline_trips import Trip, airports_in, dates_in
from taubench_kit.airline_wants import wanted_bags, wanted_insurance
from taubench_kit.identity import Identity
from taubench_kit.talk import END, UNSURE

ME = Identity(user_id="rosa_vega_4242", first_name="Rosa", last_name="Vega", dob="1980-02-29")
MIAMI_TRIP = Trip(
    "K7M2QX",
    "BOS",
    "MIA",
    "round_trip",
    "economy",
    ["2024-05-20", "2024-05-27"],
    [
        {"first_name": "Rosa", "last_name": "Vega", "dob": "1980-02-29"},
        {"first_name": "Tomas", "last_name": "Rey", "dob": "1975-11-03"},
    ],
    return_date="2024-05-27",
)
OTHER_TRIP = Trip(
    "P3ZZ81",
    "SEA",
    "DEN",
    "one_way",
    "basic_economy",
    ["2024-05-22"],
    [{"first_name": "Rosa", "last_name": "Vega", "dob": "1980-02-29"}],
)
RESERVATIONS = [
    "P3ZZ81: SEA -> DEN, one way, May 22, basic economy",
    "K7M2QX: BOS -> MIA, round trip, May 20, economy",
]


def customer(instruction: str, trips: list[Trip] | None = None) -> AirlineCustomer:
    return AirlineCustomer(
        "Your user id is rosa_vega_4242. You are cheerful. " + instruction,
        ME,
        trips=[OTHER_TRIP, MIAMI_TRIP] if trips is None else trips,
        profile={},
    )


def test_the_trip_described_is_picked_among_the_offered_reservations() -> None:
    rosa = customer("You want to move your round trip from Boston to Miami on May 20 to later.")
    answer = rosa.reply("Which reservation would you like to change?", RESERVATIONS)
    assert answer == "K7M2QX"


def test_a_description_that_fits_two_trips_picks_neither() -> None:
    twin = Trip("Z9Z9Z9", "BOS", "MIA", "round_trip", "economy", ["2024-06-01"], [])
    rosa = customer("You want to cancel your trip from Boston to Miami.", [MIAMI_TRIP, twin])
    labels = ["K7M2QX: BOS -> MIA, round trip, May 20, economy", "Z9Z9Z9: BOS -> MIA, round trip"]
    assert rosa.reply("Which reservation would you like to cancel?", labels) == UNSURE


def test_cities_codes_and_dates_are_read_in_order() -> None:
    assert airports_in("from New York LaGuardia to Las Vegas, then SEA") == ["LGA", "LAS", "SEA"]
    assert [d for _, d in dates_in("on June 3rd, not 2024-05-30, or today")] == [
        "2024-06-03",
        "2024-05-30",
        "2024-05-15",
    ]


OFFERED = [
    "HAT101 06:00, nonstop, arrives 09:00, economy $210",
    "HAT102 11:30, nonstop, arrives 14:30, economy $180",
    "HAT103 19:00, economy $150",
    "HAT104 02:00 -> HAT105 08:00, 1 stop in ORD, arrives 01:00 +1 day, economy $99",
]


def test_flights_are_picked_by_the_stated_preferences() -> None:
    assert pick_offer(OFFERED, "a nonstop, the cheapest one") == OFFERED[2]
    assert pick_offer(OFFERED, "the last nonstop flight that leaves before noon") == OFFERED[1]
    assert pick_offer(OFFERED, "the first flight of the day, nonstop please") == OFFERED[0]
    assert pick_offer(OFFERED, "a stop is fine, the cheapest") == OFFERED[3]
    assert pick_offer(OFFERED, "the nonstop that leaves at 6 in the morning") == OFFERED[0]
    assert pick_offer(OFFERED, "a nonstop in the afternoon") is None


def test_the_flight_back_follows_what_is_said_of_the_way_back() -> None:
    rosa = customer(
        "You want to book a round trip from Boston to Miami, out on 2024-06-02 on the first "
        "nonstop flight of the day and back on 2024-06-09 on the cheapest flight, a stop is fine."
    )
    assert rosa.reply("Which of these flights would you like?", OFFERED) == "HAT101 06:00"
    assert (
        rosa.reply("Which of these flights back would you like?", OFFERED)
        == "HAT104 02:00 -> HAT105 08:00"
    )


def test_a_new_date_is_said_in_words_and_is_not_the_trip_as_it_is() -> None:
    rosa = customer("Your Boston to Miami trip leaves May 20; you'd rather leave on May 23.")
    answer = rosa.reply("Which date would you like to fly out on? Please write YYYY-MM-DD.", [])
    assert answer == "I'd like to fly on 2024-05-23."


def test_the_way_back_stays_when_only_the_way_out_moves() -> None:
    rosa = customer("Your Boston to Miami trip leaves May 20; you'd rather leave on May 23.")
    days = ["2024-05-24", "2024-05-27", "2024-05-28"]
    assert rosa.reply("And which date would you like to fly back?", days) == "2024-05-27"


def test_bags_insurance_and_payment_are_answered_from_the_instruction() -> None:
    rosa = customer(
        "You want to book a one-way trip from Boston to Miami on 2024-06-02 for yourself. You "
        "might take one suitcase, but in the end you want two checked bags in total. At first "
        "you refuse travel insurance, but then you decide you want it. Use your $100 travel "
        "certificate and then your Visa ending in 1234."
    )
    bags = ["0 bags", "1 bag (1 free)", "2 bags (1 free, 1 at $50 each)"]
    assert rosa.reply("How many checked bags in total, for everyone?", bags) == "2 bags"
    insurance = ["yes, add travel insurance", "no insurance"]
    assert rosa.reply("Would you like travel insurance?", insurance) == insurance[0]
    methods = [
        "travel certificate ($300)",
        "travel certificate ($100)",
        "Visa ending 9999",
        "Visa ending 1234",
    ]
    answer = rosa.reply("How would you like to pay?", methods)
    assert answer == "travel certificate ($100) and Visa ending 1234"
    assert rosa.reply("Who is travelling?", ["Rosa Vega", "Tomas Rey"]) == "Rosa Vega"


def test_bags_and_insurance_readers_take_the_final_word() -> None:
    assert wanted_bags("no checked bags now; you want three checked bags in total") == 3
    assert wanted_bags("Nothing about luggage.") is None
    assert wanted_insurance("You don't want travel insurance.") == "no"
    assert wanted_insurance("You think you need no insurance, but you then want it.") == "yes"


def test_a_passenger_correction_names_the_old_passenger_and_the_new_details() -> None:
    rosa = customer(
        "On your Boston to Miami trip, Tomas Rey should be Tomas Reyes, born 1975-11-30. "
        "Your own details are right."
    )
    labels = ["Rosa Vega (born 1980-02-29)", "Tomas Rey (born 1975-11-03)"]
    assert rosa.reply("Which passenger's details should change?", labels) == "Tomas Rey"
    assert rosa.reply("What should the passenger's first and last name be?", []) == "Tomas Reyes"
    answer = rosa.reply("And their date of birth, as YYYY-MM-DD?", [])
    assert answer == "Their date of birth is 1975-11-30."


def test_a_proposal_is_confirmed_only_when_every_element_is_asked_for() -> None:
    rosa = customer(
        "For your Boston to Miami trip on May 20 you want three checked bags in total, paid "
        "with your Visa ending in 1234."
    )
    right = (
        "Here's the change for reservation K7M2QX: 3 checked bags in total, 2 of them free and "
        "1 paid.\nCharge: $50 to your Visa ending 1234. Shall I add them?"
    )
    assert rosa.reply(right, ["yes", "no"]) == "yes"
    too_many = right.replace("3 checked bags", "4 checked bags")
    assert rosa.reply(too_many, ["yes", "no"]) == "No, I want 3 bags in total."
    other_card = right.replace("Visa ending 1234", "Visa ending 9999")
    assert rosa.reply(other_card, ["yes", "no"]).startswith("No, I want to pay with my Visa")
    other_trip = right.replace("K7M2QX", "P3ZZ81")
    assert "K7M2QX" in rosa.reply(other_trip, ["yes", "no"])


def test_a_proposal_of_something_not_asked_for_gets_a_no() -> None:
    rosa = customer("You want two checked bags in total on your Boston to Miami trip.")
    cancel = "I'll cancel the whole of reservation K7M2QX. Shall I cancel it?"
    assert rosa.reply(cancel, ["yes", "no"]).startswith("No, I didn't ask to cancel")


def test_a_passenger_proposal_that_changes_the_wrong_person_gets_a_no() -> None:
    rosa = customer("On your Boston to Miami trip, Tomas Rey should be Tomas Reyes.")
    wrong = (
        "Here's the change for reservation K7M2QX:\n"
        "- Rosa Vega (born 1980-02-29) becomes Tomas Reyes (born 1975-11-03)\n"
        "Everyone else stays as they are. Shall I make this change?"
    )
    assert rosa.reply(wrong, ["yes", "no"]).startswith("No, Tomas Rey should become Tomas Reyes")
    right = wrong.replace("Rosa Vega (born 1980-02-29)", "Tomas Rey (born 1975-11-03)")
    assert rosa.reply(right, ["yes", "no"]) == "yes"


def test_a_booking_proposal_is_checked_passenger_by_passenger() -> None:
    rosa = customer(
        "You want to book a one-way trip from Boston to Miami on 2024-06-02 in economy for "
        "yourself and Tomas Rey, with no checked bags and no insurance. Pay with your Visa "
        "ending in 1234."
    )
    proposal = (
        "Here's the booking I'd make: one-way BOS → MIA in economy.\n"
        "- HAT103 on 2024-06-02, $150 per passenger\n"
        "Passengers: Rosa Vega, Tomas Rey.\n"
        "Checked bags: 0. Travel insurance: no.\n"
        "Total: $300, paid with $300 on your Visa ending 1234.\nShall I book it?"
    )
    assert rosa.reply(proposal, ["yes", "no"]) == "yes"
    alone = proposal.replace("Rosa Vega, Tomas Rey", "Rosa Vega")
    assert "passengers should be Rosa Vega and Tomas Rey" in rosa.reply(alone, ["yes", "no"])
    insured = proposal.replace("Travel insurance: no.", "Travel insurance: yes ($60).")
    assert "don't want travel insurance" in rosa.reply(insured, ["yes", "no"])


def test_the_request_is_chosen_among_the_packs_requests() -> None:
    rosa = customer("You want to fly on May 23 instead of May 20 on your Boston to Miami trip.")
    offered = ["book a new flight", "cancel a trip already started", "change my flights"]
    assert rosa.reply("Which of these do you mean?", offered) == "change my flights"
    upset = customer(
        "The airline cancelled your flight to Miami and you want compensation. You do not want "
        "to cancel anything."
    )
    offered = ["cancel a reservation", "compensation for a cancelled or delayed flight"]
    assert upset.reply("Which of these do you mean?", offered) == offered[1]


def test_the_cancellation_reason_is_the_instructions() -> None:
    rosa = customer("You caught the flu and want to cancel your Boston to Miami trip.")
    answer = rosa.reply("Why are you cancelling: a change of plan, or another reason?", [])
    assert "health" in answer.lower()
    causes = ["health (illness, sick, injury)", "weather (storm, snow)", "something else"]
    assert rosa.reply("Is it for health or weather reasons?", causes) == causes[0]


def test_a_request_not_understood_is_restated_plainly_once() -> None:
    rosa = customer("You'd rather leave on May 23 instead of May 20 on your Miami trip.")
    rosa.opening()
    not_understood = (
        "I'm sorry, I can't help with that here. I can help with look up a reservation."
    )
    assert rosa.reply(not_understood, []) == "I'd like to change my flights."
    assert rosa.reply(not_understood, []) != "I'd like to change my flights."


def test_an_offer_of_a_person_not_asked_for_ends_the_conversation() -> None:
    rosa = customer("You want to cancel your Boston to Miami trip.")
    rosa.opening()
    refused = "I couldn't cancel it. Would you like me to connect you with a person?"
    assert rosa.reply(refused, []) == END
    assert rosa.done


def test_a_date_of_birth_correction_keeps_the_name() -> None:
    rosa = customer("On your Miami trip, Tomas Rey's date of birth should be 1975-11-30.")
    labels = ["Rosa Vega (born 1980-02-29)", "Tomas Rey (born 1975-11-03)"]
    assert rosa.reply("Which passenger's details should change?", labels) == "Tomas Rey"
    assert rosa.reply("What should the passenger's first and last name be?", []) == "Tomas Rey"


def test_the_cancellation_reason_is_picked_among_the_offered_reasons() -> None:
    reasons = ["change of plan", "the airline cancelled the flight", "another reason"]
    sick = customer("Your son is ill, so you must cancel your Boston to Miami trip.")
    assert sick.reply("Why are you cancelling?", reasons) == "another reason"
    busy = customer("Your plans changed and you want to cancel your Boston to Miami trip.")
    assert busy.reply("Why are you cancelling?", reasons) == "change of plan"


def test_more_bags_are_counted_from_those_the_trip_has() -> None:
    packed = Trip("B4G5X1", "BOS", "MIA", "one_way", "economy", ["2024-05-20"], [], bags=2)
    rosa = customer("On your Boston to Miami trip you need two more suitcases.", [packed])
    bags = [f"{n} bags in total (2 free)" for n in range(3, 6)]
    assert rosa.reply("How many checked bags should the reservation have in total?", bags) == (
        "4 bags in total"
    )
    assert wanted_bags("you need two more suitcases") == 2


def test_a_bag_request_not_understood_is_restated_as_one() -> None:
    rosa = customer("For your Boston to Miami trip you now need four checked bags in total.")
    rosa.opening()
    not_understood = "I'm sorry, I can't help with that here."
    assert rosa.reply(not_understood, []) == "I'd like to add checked bags to my reservation."


BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
DEV_SET = json.loads((BENCHMARKS / "taubench_dev" / "airline_dev.json").read_text())


def test_the_airline_dev_set_replays_and_holds_to_the_policy() -> None:
    assert len(DEV_SET) >= 30
    assert asyncio.run(check_airline.check(DEV_SET)) == 0


def test_the_dev_set_check_refuses_a_write_the_policy_refuses() -> None:
    task = copy.deepcopy(next(t for t in DEV_SET if not t["actions"]))
    task["actions"] = [
        {"name": "send_certificate", "kwargs": {"user_id": task["user_id"], "amount": 999}}
    ]
    assert asyncio.run(check_airline.check([task])) == 1


HELD_OUT = json.loads((BENCHMARKS / "taubench_dev" / "airline_heldout.json").read_text())


def test_the_airline_heldout_set_replays_and_holds_to_the_policy() -> None:
    assert len(HELD_OUT) == 35
    assert asyncio.run(check_airline.check(HELD_OUT, "airline_heldout")) == 0


def test_the_heldout_check_refuses_a_customer_of_the_dev_set() -> None:
    task = copy.deepcopy(next(t for t in DEV_SET if not t["actions"]))
    assert asyncio.run(check_airline.check([task])) == 0
    task["source"] = check_airline.SOURCES["airline_heldout"]
    assert asyncio.run(check_airline.check([task], "airline_heldout")) == 1


def test_a_cancellation_for_another_reason_than_the_instructions_gets_a_no() -> None:
    rosa = customer("You caught the flu and want to cancel your Boston to Miami trip.")
    proposal = (
        "I'll cancel the whole of reservation K7M2QX. Reason: {}. This can't be undone. "
        "Shall I cancel it?"
    )
    assert rosa.reply(proposal.format("another reason (health)"), ["yes", "no"]) == "yes"
    wrong = rosa.reply(proposal.format("change of plan"), ["yes", "no"])
    assert wrong == "No, the reason is health reasons, I'm sick."


def test_requests_told_in_other_words_are_recognised() -> None:
    offered = ["book a new flight", "cancel a reservation", "checked bag allowance"]
    undo = customer("You want that Boston to Miami booking cancelled and refunded.")
    assert undo.reply("Which of these do you mean?", offered) == "cancel a reservation"
    order = customer("Book yourself on the cheapest flight from Boston to Miami on June 2.")
    assert order.reply("Which of these do you mean?", offered) == "book a new flight"
    cancelled = customer("The airline cancelled your flight; you ask how many bags are free.")
    assert cancelled.reply("Which of these do you mean?", offered) == "checked bag allowance"


def test_a_cause_denied_is_something_else_not_health() -> None:
    rosa = customer(
        "You want to cancel your Boston to Miami trip. If asked whether the reason is health "
        "or weather, you say no."
    )
    causes = ["health (illness, sick, injury)", "weather (storm, snow)", "something else"]
    assert rosa.reply("Is it for health or weather reasons, or something else?", causes) == (
        "something else"
    )


GIFT_CARDS = (
    "You want to book a one-way trip from Boston to Miami on 2024-06-02 for yourself, with no "
    "checked bags and no insurance. You want to use up both of your gift cards and put what is "
    "left on your Mastercard ending in 7990."
)


def test_both_gift_cards_and_the_card_are_all_picked() -> None:
    methods = ["Mastercard ending 7990", "gift card ($111 left)", "gift card ($276 left)"]
    ask = "How would you like to pay? You can combine one credit card and three gift cards."
    assert customer(GIFT_CARDS).reply(ask, [*methods, "All of them"]) == "All of them"
    answer = customer(GIFT_CARDS).reply(ask, methods)
    assert all(m in answer for m in methods)
    card_only = (
        "Here's the booking I'd make: one-way BOS → MIA in economy.\n"
        "- HAT103 on 2024-06-02, $150 per passenger\nPassengers: Rosa Vega.\n"
        "Checked bags: 0. Travel insurance: no.\n"
        "Total: $150, paid with $150 on your Mastercard ending 7990.\nShall I book it?"
    )
    refused = customer(GIFT_CARDS).reply(card_only, ["yes", "no"])
    assert refused.startswith("No") and "both gift cards" in refused


def test_a_passenger_named_in_the_instruction_is_picked() -> None:
    rosa = customer(
        "On your Boston to Miami trip, the date of birth of Tomas Rey was entered wrong: it "
        "should be 1975-11-30. His name is right."
    )
    labels = ["Rosa Vega (born 1980-02-29)", "Tomas Rey (born 1975-11-03)"]
    assert rosa.reply("Which passenger's details should change?", labels) == "Tomas Rey"
    assert rosa.reply("And their date of birth, as YYYY-MM-DD?", []) == (
        "Their date of birth is 1975-11-30."
    )


def test_bags_added_are_recognised_as_the_request() -> None:
    rosa = customer(
        "You want to add two checked bags to your Boston to Miami trip, paid with your Visa "
        "ending in 1234."
    )
    proposal = (
        "Here's the change for reservation K7M2QX: 2 checked bags in total, 1 of them free and "
        "1 paid.\nCharge: $50 to your Visa ending 1234. Shall I add them?"
    )
    assert rosa.reply(proposal, ["yes", "no"]) == "yes"


def test_a_request_not_offered_is_said_in_words_rather_than_a_wrong_choice() -> None:
    bags = customer("You want to add two checked bags to your Boston to Miami trip.")
    offered = ["remove a checked bag", "checked bag allowance", "talk to a person"]
    assert bags.reply("Which of these do you mean?", offered) == (
        "I'd like to add checked bags to my reservation."
    )
    late = customer("Your flight to Miami is late; you want to know its status.")
    offered = ["compensation for a cancelled or delayed flight", "talk to a person"]
    assert late.reply("Which of these do you mean?", offered) == (
        "I'd like to check the status of my flight."
    )


LABELLED = [
    "HAT201 09:00, nonstop, arrives 14:00, economy $108",
    "HAT202 11:00, nonstop, arrives 16:00, economy $166",
    "HAT203 17:00, nonstop, arrives 22:00, economy $110",
    "HAT204 22:00, nonstop, arrives 03:00 +1 day, economy $195",
    "HAT205 12:00 -> HAT206 16:00, 1 stop in DFW, arrives 20:00, economy $90",
    "HAT207 12:00 -> HAT208 19:00, 1 stop in DFW, arrives 23:00, economy $80",
]


def test_flights_are_picked_by_the_times_the_labels_say() -> None:
    leaves = "the cheapest economy flight that leaves after 11am; it has to be a nonstop flight"
    assert pick_offer(LABELLED, leaves) == LABELLED[2]
    window = "a nonstop flight that leaves between 6am and 8pm"
    assert pick_offer(LABELLED, window) == LABELLED[0]
    arrives = (
        "You would like a nonstop flight, but if there is none, one stop is fine. You must be "
        "in Miami before 9pm; among the flights that arrive before 9pm you want the cheapest."
    )
    assert pick_offer(LABELLED, arrives) == LABELLED[0]
    assert pick_offer(LABELLED[4:], arrives) == LABELLED[4]
    assert pick_offer(LABELLED[:1], leaves) is None


def test_no_bags_at_all_is_zero_bags() -> None:
    assert wanted_bags("You will not check any bags and you do not want insurance.") == 0
    assert wanted_bags("You travel with hand luggage only.") == 0
    rosa = customer(
        "You want to book a one-way trip from Boston to Miami on 2024-06-02 for yourself. You "
        "will not check any bags."
    )
    bags = ["0 bags", "1 bag (1 free)", "2 bags (1 free, 1 at $50 each)"]
    assert rosa.reply("How many checked bags in total, for everyone?", bags) == "0 bags"


def test_a_new_flight_leaving_outside_the_hours_asked_is_refused() -> None:
    rosa = customer(
        "Your mother flies Boston to Miami on May 20. You want to move her to May 23, on a "
        "nonstop flight that leaves between 6am and 8pm. Pay with your Visa ending in 1234."
    )
    proposal = (
        "Here's the change for reservation K7M2QX, in economy:\n- now: HAT133 on 2024-05-20\n"
        "- new: HAT039 on 2024-05-23 at {}\n"
        "Price difference: $6 for all passengers, charged to your Visa ending 1234.\n"
        "Shall I make this change? Please answer yes or no."
    )
    late = rosa.reply(proposal.format("22:00"), ["yes", "no"])
    assert late.startswith("No") and "between 6am and 8pm" in late
    assert rosa.reply(proposal.format("08:00"), ["yes", "no"]) == "yes"


def test_not_sure_a_third_time_to_the_same_question_asks_for_a_person() -> None:
    rosa = customer("You want to book a flight from Boston to Miami for yourself.")
    bags = ["0 bags", "1 bag (1 free)", "2 bags (1 free, 1 at $50 each)"]
    asked = "How many checked bags in total, for everyone?"
    assert rosa.reply(asked, bags) == UNSURE
    assert rosa.reply("Let me make this clearer. " + asked, bags) == UNSURE
    assert "person" in rosa.reply("I can see that wasn't clear. " + asked, bags)


def test_free_bags_asked_without_paying_is_the_allowance_not_adding_bags() -> None:
    rosa = customer(
        "You booked Tomas Rey on your Boston to Miami trip. You want to know how many checked "
        "bags the two of you can take in total without paying. You don't want to add bags now."
    )
    offered = ["add a checked bag", "checked bag allowance", "remove a checked bag"]
    assert rosa.reply("Which of these do you mean?", offered) == "checked bag allowance"
