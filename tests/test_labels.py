"""Which offered labels a customer's words pick (``policy/labels.py``): trips told by their
dates and cities, flights told by what a traveller chooses them by."""

from __future__ import annotations

from warmline.policy.labels import DATE, pick

TRIPS = (
    "FUPPNM: CLT -> PHX (Charlotte to Phoenix), round trip, May 24 to May 25 - economy",
    "TP6MWA: LAX -> CLT (Los Angeles to Charlotte), round trip, May 5 to May 12 - basic economy"
    " (past trip)",
    "0VSL5F: CLT -> LGA (Charlotte to New York LaGuardia), round trip, May 16 to May 19 - economy",
)


def test_a_date_in_any_form_picks_the_trip_of_that_day() -> None:
    for said in ("the one on 2024-05-16", "leaving May 16", "May 16th", "the 16th of May"):
        assert pick(said, TRIPS, many=False) == [2], said
    assert pick("coming back on the 12th of May", TRIPS, many=False) == [1]
    assert pick("the trip on June 16", TRIPS, many=False) == []  # no trip that day


def test_a_trip_told_by_its_cities_or_codes_picks_its_reservation() -> None:
    assert pick("my trip from CLT to LGA", TRIPS, many=False) == [2]
    assert pick("the Phoenix one", TRIPS, many=False) == [0]
    # Charlotte is on every trip, and "trip" tells none from another
    assert pick("my Charlotte trip", TRIPS, many=False) == []


def test_a_date_is_matched_only_where_a_label_holds_one() -> None:
    assert DATE.search("May 16 to May 19") and DATE.search("2024-05-16")
    assert DATE.search("the 3rd of June") and not DATE.search("HAT170 08:00, economy $120")
    assert not DATE.search("may I change my seat")
    # a date's digits are no time, price or id
    flights = ("HAT001 08:00, economy $120", "HAT002 20:00, economy $16")
    assert pick("on 2024-05-20", flights, many=False) == []
    assert pick("on May 16", flights, many=False) == []


def test_of_labels_matched_alike_the_one_said_whole_is_picked() -> None:
    cabins = ("basic economy", "economy", "business")
    assert pick("book it in economy please", cabins, many=False) == [1]
    assert pick("basic economy", cabins, many=False) == [0]
    # both said only in part: no pick
    assert pick("the water one", ("Water Bottle", "Water Filter"), many=False) == []


def test_what_the_customer_denies_picks_no_label() -> None:
    insurance = ("yes, add travel insurance", "no insurance")
    assert pick("I don't want travel insurance", insurance, many=False) == []
    assert pick("No travel insurance.", insurance, many=False) == []
    assert pick("I do want travel insurance", insurance, many=False) == [0]
    payment = ("gift card ($131 left)", "travel certificate ($250)", "Mastercard ending 1234")
    said = "No travel insurance. Use my gift card first and put the rest on my Mastercard."
    assert pick(said, payment, many=True) == [0, 2]
    assert pick("not the certificate but the gift card", payment, many=False) == [0]
    assert pick("I won't use the certificate", payment, many=False) == []


def test_a_complaint_with_a_negated_verb_still_names_the_item() -> None:
    items = ("Pet Bed (size large) - $193.00", "Notebook (size A5) - $28.59")
    assert pick("my cat won't sleep on the pet bed", items, many=True) == [0]
    assert pick("the notebook does not close properly", items, many=True) == [1]
    assert pick("I don't want the pet bed", items, many=True) == []


def test_words_of_a_price_pick_no_count() -> None:
    bags = ("4 bags (4 free)", "5 bags (4 free, 1 at $50 each)")
    assert pick("we'll each check one bag", bags, many=False) == []
