"""The tau-bench scripted customer as a careful person: it reads the proposal the bot shows
(order, action, each item line, options, where the money goes) and says yes only when the
instruction's final wishes support every part of it; it picks the offered variant that fits
every stated wish (changes of mind, decisions, "whichever is cheaper", units). Instructions and
proposals here are made up. No NLU, no back office."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from taubench_kit.customer import Customer
from taubench_kit.identity import Identity
from taubench_kit.options import norm_tokens
from taubench_kit.proposal import read_proposal
from taubench_kit.wish import prose_wish

YES_NO = ["yes", "no"]


def me(orders: dict[str, list[str]], statuses: dict[str, str] | None = None) -> Identity:
    return Identity(
        user_id="lena_ortiz_2020",
        email="lena.ortiz@example.com",
        first_name="Lena",
        last_name="Ortiz",
        zip="30301",
        payment_methods={
            "paypal_11": {"source": "paypal"},
            "credit_card_22": {"source": "credit_card", "brand": "visa", "last_four": "4242"},
        },
        orders=orders,
        statuses=statuses or {},
    )


def exchange(order: str, *lines: str, paid: str = "refunded to your PayPal") -> str:
    body = "\n".join(f"- {line}" for line in lines)
    return (
        f"Here's the exchange I'd set up for order {order}:\n{body}\n"
        f"Price difference: $5.00 {paid}.\nShall I go ahead? Please answer yes or no."
    )


LAMP_ORDER = {"#W5550001": ["Desk Lamp", "Yoga Mat"]}
LAMP = (
    "You are calm. You received a black desk lamp in order #W5550001 and want to exchange it "
    "for a red one."
)


def test_a_proposal_that_does_what_was_asked_is_accepted() -> None:
    customer = Customer(LAMP, me(LAMP_ORDER))
    proposal = exchange(
        "#W5550001",
        "Desk Lamp: color black, brightness high -> color red, brightness high ($30.00 -> $32.00)",
    )
    assert customer.reply(proposal, YES_NO) == "yes"


def test_a_stated_value_contradicted_is_a_no_that_says_what_is_wanted() -> None:
    customer = Customer(LAMP, me(LAMP_ORDER))
    proposal = exchange(
        "#W5550001",
        "Desk Lamp: color black, brightness high -> color blue, brightness high ($30.00 -> $32.00)",
    )
    answer = customer.reply(proposal, YES_NO)
    assert answer.startswith("No") and "color red" in answer


def test_an_item_the_instruction_does_not_name_is_a_no() -> None:
    customer = Customer(LAMP, me(LAMP_ORDER))
    proposal = exchange(
        "#W5550001",
        "Desk Lamp: color black -> color red ($30.00 -> $32.00)",
        "Yoga Mat: thickness 4mm -> thickness 6mm ($20.00 -> $22.00)",
    )
    answer = customer.reply(proposal, YES_NO)
    assert answer.startswith("No") and "Yoga Mat" in answer and "only" in answer


def test_another_order_than_the_one_named_is_a_no() -> None:
    customer = Customer(LAMP, me({**LAMP_ORDER, "#W5550002": ["Desk Lamp"]}))
    proposal = exchange("#W5550002", "Desk Lamp: color black -> color red ($30.00 -> $32.00)")
    assert customer.reply(proposal, YES_NO).startswith("No")


def test_another_kind_of_action_than_the_one_asked_is_a_no() -> None:
    customer = Customer(LAMP, me(LAMP_ORDER))
    proposal = (
        "Here's the return I'd set up for order #W5550001:\n"
        "- Desk Lamp (color black, brightness high): $30.00\n"
        "Refund: $30.00 to your PayPal.\nShall I go ahead? Please answer yes or no."
    )
    assert customer.reply(proposal, YES_NO).startswith("No")


def test_a_named_item_missing_from_a_proposal_is_asked_for() -> None:
    wanted = "You want to return the desk lamp and the yoga mat of order #W5550001 to your paypal."
    customer = Customer(wanted, me(LAMP_ORDER))
    proposal = (
        "Here's the return I'd set up for order #W5550001:\n"
        "- Desk Lamp (color black, brightness high): $30.00\n"
        "Refund: $30.00 to your PayPal.\nShall I go ahead? Please answer yes or no."
    )
    answer = customer.reply(proposal, YES_NO)
    assert answer.startswith("No") and "Yoga Mat" in answer
    both = proposal.replace(
        "- Desk Lamp (color black, brightness high): $30.00\n",
        "- Desk Lamp (color black, brightness high): $30.00\n- Yoga Mat (thickness 4mm): $20.00\n",
    )
    assert customer.reply(both, YES_NO) == "yes"


def test_the_money_must_go_to_the_payment_named() -> None:
    wanted = LAMP + " Any difference should go to your paypal."
    customer = Customer(wanted, me(LAMP_ORDER))
    line = "Desk Lamp: color black -> color red ($30.00 -> $32.00)"
    card = exchange("#W5550001", line, paid="charged to your Visa ending 4242")
    assert "PayPal" in customer.reply(card, YES_NO)
    assert customer.reply(exchange("#W5550001", line), YES_NO) == "yes"


def test_the_same_unsupported_proposal_again_asks_for_a_person() -> None:
    customer = Customer(LAMP, me(LAMP_ORDER))
    proposal = exchange("#W5550001", "Desk Lamp: color black -> color blue ($30.00 -> $32.00)")
    assert customer.reply(proposal, YES_NO).startswith("No")
    assert "person" in customer.reply("I understand. " + proposal, YES_NO)


KETTLES = [
    "Kettle: capacity 1L, material glass, color black - $40.00",
    "Kettle: capacity 1.5L, material plastic, color white - $35.00",
    "Kettle: capacity 1.5L, material glass, color white - $45.00",
    "Kettle: capacity 2L, material glass, color white - $50.00",
]
KETTLE_ORDER = {"#W6660001": ["Kettle"]}


def test_a_change_of_mind_replaces_the_earlier_wish() -> None:
    wanted = (
        "For #W6660001, at first you want to exchange your kettle for a 1L black one, but then "
        "you change your mind and want a 1.5 liter glass kettle instead."
    )
    customer = Customer(wanted, me(KETTLE_ORDER))
    customer.reply("Which items?", ["Kettle (capacity 2L, material steel, color white) - $30.00"])
    assert customer.reply("Which option?", KETTLES) == KETTLES[2][:-9]


def test_whichever_is_cheaper_picks_the_cheapest_variant_that_fits() -> None:
    wanted = (
        "For #W6660001, you want to exchange your kettle for a white one. You don't care "
        "about the material, whichever is cheaper."
    )
    customer = Customer(wanted, me(KETTLE_ORDER))
    customer.reply("Which items?", ["Kettle (capacity 1.5L, material steel, color black) - $30"])
    assert customer.reply("Which option?", KETTLES) == KETTLES[1][:-9]
    dearer = exchange(
        "#W6660001",
        "Kettle: capacity 1.5L, material steel, color black -> capacity 1.5L, material glass, "
        "color white ($30.00 -> $45.00)",
    )
    assert customer.reply(dearer, YES_NO).startswith("No")


def test_an_indecision_that_ends_in_a_decision_takes_the_decided_value() -> None:
    old = {"color": "white", "height": "4 ft"}
    domain = {"color": {"white", "black", "brown"}, "height": {"4 ft", "5 ft"}}
    prose = (
        "You want a taller 5-feet bookshelf. You are unsure about the color and ask about "
        "black, but eventually decide on the brown color."
    )
    wish = prose_wish(prose, old, domain)
    assert wish.stated == {"color": "brown", "height": "5 ft"}


def test_a_value_preferred_over_another_is_the_wanted_one() -> None:
    domain = {"sensor type": {"laser", "optical"}}
    wish = prose_wish("You prefer an optical mouse over a laser mouse.", {}, domain)
    assert wish.stated == {"sensor type": "optical"}


def test_units_are_read_one_way() -> None:
    assert norm_tokens("a 5-feet shelf") == norm_tokens("a 5 ft shelf")
    assert norm_tokens("a '1.5L' kettle") == norm_tokens("a 1.5 liter kettle")


def test_when_no_variant_fits_the_customer_says_what_is_wanted() -> None:
    wanted = "For #W6660001, you want to exchange your kettle for a silver one."
    customer = Customer(wanted, me(KETTLE_ORDER))
    answer = customer.reply("Which option?", KETTLES)
    assert answer not in [k[:-9] for k in KETTLES]
    assert "silver" in answer


def test_a_templated_target_keeps_every_option_it_does_not_state() -> None:
    wanted = (
        "For #W6660001, exchange Kettle {'capacity': '2L', 'material': 'glass', "
        "'color': 'black'} to {'color': 'white'}; via paypal_11."
    )
    customer = Customer(wanted, me(KETTLE_ORDER))
    assert customer.reply("Which option?", KETTLES) == KETTLES[3][:-9]
    changed_more = exchange(
        "#W6660001",
        "Kettle: capacity 2L, material glass, color black -> capacity 1.5L, material glass, "
        "color white ($50.00 -> $45.00)",
    )
    assert customer.reply(changed_more, YES_NO).startswith("No")


def test_of_two_items_with_one_name_only_the_one_described_is_picked_and_accepted() -> None:
    wanted = (
        "For #W6660001, exchange Kettle {'capacity': '2L', 'color': 'black'} to "
        "{'color': 'white'}; via paypal_11."
    )
    customer = Customer(wanted, me({"#W6660001": ["Kettle", "Kettle"]}))
    items = ["Kettle (capacity 1L, color red) - $20.00", "Kettle (capacity 2L, color black) - $30"]
    assert customer.reply("Which items? You can pick several.", items) == items[1]
    both = exchange(
        "#W6660001",
        "Kettle: capacity 2L, color black -> capacity 2L, color white ($30.00 -> $31.00)",
        "Kettle: capacity 1L, color red -> capacity 2L, color white ($20.00 -> $31.00)",
    )
    assert customer.reply(both, YES_NO).startswith("No")


def test_an_item_dropped_by_a_change_of_mind_is_declined_then_left() -> None:
    wanted = (
        "For #W6660001, try to exchange the kettle for a glass one, but change your mind and "
        "decide not to exchange the kettle after all."
    )
    customer = Customer(wanted, me(KETTLE_ORDER))
    assert "#W6660001" in customer.opening()
    first = customer.reply("Which option?", KETTLES)
    assert "changed my mind" in first
    assert customer.reply("Which option would you like?", KETTLES[:3]) == "No, that's all, thanks."
    assert customer.done


def test_a_refund_for_an_order_not_yet_delivered_is_its_cancellation() -> None:
    wanted = "You ordered a kettle but found it cheaper elsewhere, and want a full refund."
    customer = Customer(wanted, me(KETTLE_ORDER, {"#W6660001": "pending"}))
    labels = ["return items", "cancel a pending order", "talk to a person"]
    assert customer.reply("Which of these do you mean?", labels) == "cancel a pending order"


def test_a_proposal_reads_its_order_kind_lines_and_destination() -> None:
    prop = read_proposal(
        "Sorry about that. Here's the change I'd make to pending order #W7770001:\n"
        "- Mat: thickness 6mm, color green -> thickness 4mm, color blue ($10.00 -> $9.00)\n"
        "- Lamp: color black, kept as it is ($30.00)\n"
        "Price difference: $1.00 refunded now to your Visa ending 4242.\nShall I go ahead?"
    )
    assert (prop.kind, prop.order, prop.destination) == ("modify", "W7770001", "Visa ending 4242")
    assert [(line.name, line.new) for line in prop.lines] == [
        ("Mat", {"thickness": "4mm", "color": "blue"}),
        ("Lamp", {"color": "black"}),
    ]


SHOP = {"#W8880001": ["Desk Lamp", "Pet Bed", "Wall Clock", "Yoga Mat"]}


def returning(*lines: str, to: str = "PayPal") -> str:
    body = "\n".join(f"- {line}" for line in lines)
    return (
        f"Here's the return I'd set up for order #W8880001:\n{body}\n"
        f"Refund: $50.00 to your {to}.\nShall I go ahead? Please answer yes or no."
    )


def test_a_product_named_only_to_tell_the_order_is_not_returned() -> None:
    wanted = (
        "You want to return the desk lamp from the order that had the pet bed and the wall "
        "clock in it. The refund goes to your paypal."
    )
    customer = Customer(wanted, me(SHOP))
    lamp = "Desk Lamp (color black): $30.00"
    answer = customer.reply(returning(lamp, "Pet Bed (size large): $20.00"), YES_NO)
    assert answer.startswith("No") and "Pet Bed" in answer
    assert customer.reply(returning(lamp), YES_NO) == "yes"


def test_a_product_the_customer_keeps_is_not_returned() -> None:
    wanted = (
        "From the order with the desk lamp, the yoga mat and the wall clock, you want to return "
        "the desk lamp and the yoga mat; you'll keep the clock. Refund to your paypal."
    )
    customer = Customer(wanted, me(SHOP))
    both = ["Desk Lamp (color black): $30.00", "Yoga Mat (thickness 4mm): $20.00"]
    assert customer.reply(returning(*both, "Wall Clock (type analog): $9.00"), YES_NO) != "yes"
    assert customer.reply(returning(*both), YES_NO) == "yes"


def test_the_items_of_a_named_order_are_all_of_them() -> None:
    wanted = "Order #W8880001 arrived soaked. You want to return all the items to your paypal."
    customer = Customer(wanted, me({"#W8880001": ["Desk Lamp", "Yoga Mat"]}))
    lamp, mat = "Desk Lamp (color black): $30.00", "Yoga Mat (thickness 4mm): $20.00"
    assert "Yoga Mat" in customer.reply(returning(lamp), YES_NO)
    assert customer.reply(returning(lamp, mat), YES_NO) == "yes"


def test_what_to_bring_up_at_confirmation_is_not_said_when_already_proposed() -> None:
    wanted = (
        "You want to return the desk lamp of order #W8880001 to your paypal. If the agent asks "
        "for confirmation, mention that you also want to return the yoga mat."
    )
    lamp, mat = "Desk Lamp (color black): $30.00", "Yoga Mat (thickness 4mm): $20.00"
    assert Customer(wanted, me(SHOP)).reply(returning(lamp, mat), YES_NO) == "yes"
    said = Customer(wanted, me(SHOP)).reply(returning(lamp), YES_NO)
    assert "yoga mat" in said.lower() and said != "yes"


def test_exactly_the_same_model_keeps_every_option() -> None:
    wanted = (
        "Your kettle from order #W6660001 leaks, so you want it replaced with exactly the same "
        "model. Any difference goes to your paypal."
    )
    customer = Customer(wanted, me(KETTLE_ORDER))
    other = exchange(
        "#W6660001",
        "Kettle: capacity 1L, color black -> capacity 1.5L, color black ($40.00 -> $45.00)",
    )
    assert customer.reply(other, YES_NO).startswith("No")
    same = exchange(
        "#W6660001", "Kettle: capacity 1L, color black -> a new one of the same option ($40.00)"
    )
    assert customer.reply(same, YES_NO) == "yes"


def test_a_payment_the_instruction_refuses_is_not_the_one_wanted() -> None:
    wanted = LAMP + " Pay any difference with the Visa ending in 4242, not PayPal."
    customer = Customer(wanted, me(LAMP_ORDER))
    line = "Desk Lamp: color black -> color red ($30.00 -> $32.00)"
    assert "4242" in customer.reply(exchange("#W5550001", line), YES_NO)


def test_confirmations_asked_again_after_a_correction_are_not_a_loop() -> None:
    customer = Customer(LAMP, me(LAMP_ORDER))
    wrong = exchange("#W5550001", "Desk Lamp: color black -> color blue ($30.00 -> $32.00)")
    other = exchange("#W5550001", "Desk Lamp: color black -> color green ($30.00 -> $32.00)")
    right = exchange("#W5550001", "Desk Lamp: color black -> color red ($30.00 -> $32.00)")
    assert customer.reply(wrong, YES_NO).startswith("No")
    assert customer.reply(other, YES_NO).startswith("No")
    assert customer.reply(right, YES_NO) == "yes"


def test_the_same_question_three_times_in_a_row_asks_for_a_person() -> None:
    customer = Customer(LAMP, me(LAMP_ORDER))
    question = "Which option would you like instead?"
    kettles = ["Kettle: capacity 1L - $1.00", "Kettle: capacity 2L - $2.00"]
    customer.reply(question, kettles)
    customer.reply("Sorry about that. " + question, kettles)
    assert "person" in customer.reply(question, kettles)


def test_a_change_of_mind_about_one_option_keeps_the_others() -> None:
    bottles = [
        "Bottle: capacity 1000ml, material steel, color red - $49.00",
        "Bottle: capacity 750ml, material steel, color blue - $50.00",
        "Bottle: capacity 750ml, material steel, color red - $51.00",
    ]
    wanted = (
        "For order #W6660001 you want your 500ml steel bottle changed to a bigger 750ml one. "
        "You first ask for it in blue, but then you change your mind and go for red instead."
    )
    customer = Customer(wanted, me({"#W6660001": ["Bottle"]}))
    customer.reply("Which items?", ["Bottle (capacity 500ml, material steel, color black) - $1"])
    assert customer.reply("Which option?", bottles) == bottles[2][:-9]


def test_an_offered_order_that_cannot_be_the_one_meant_is_not_taken() -> None:
    wanted = "You want to exchange your dumbbells for a heavier set. The order number ends in 205."
    customer = Customer(wanted, me({"#W1111111": ["T-Shirt"], "#W2222205": ["Dumbbell Set"]}))
    answer = customer.reply("Which order is it?", ["#W1111111 - pending - T-Shirt"])
    assert "205" in answer and "#W1111111" not in answer


def test_short_values_and_a_value_said_instead_of_another() -> None:
    domain = {"size": {"A4", "A5", "A6"}, "capacity": {"1L", "1.5L"}, "color": {"blue", "white"}}
    wish = prose_wish(
        "The notebook should be A4 instead of A5. The smaller 1L one, white instead of blue.",
        {"size": "A5", "capacity": "1.5L"},
        domain,
    )
    assert wish.stated == {"size": "A4", "capacity": "1L", "color": "white"}


def test_what_follows_instead_of_is_not_wanted() -> None:
    domain = {"color": {"gold", "black"}, "band material": {"leather", "silicone"}}
    wish = prose_wish(
        "The watch should be a gold one with a leather band instead of the black silicone one.",
        {},
        domain,
    )
    assert wish.stated == {"color": "gold", "band material": "leather"}


def test_a_yes_no_or_none_option_is_said_through_its_name() -> None:
    domain = {"water resistance": {"yes", "no"}, "backlight": {"none", "RGB"}}
    wish = prose_wish(
        "You'd like the speaker water resistant this time, and the keyboard with no backlight.",
        {"water resistance": "no", "backlight": "RGB"},
        domain,
    )
    assert wish.stated == {"water resistance": "yes", "backlight": "none"}


def test_all_the_items_of_the_order_described_by_its_products() -> None:
    wanted = "Return all the items from the order (the order contained a lamp and a yoga mat)."
    customer = Customer(wanted, me({"#W8880001": ["Desk Lamp", "Yoga Mat"]}))
    lamp, mat = "Desk Lamp (color black): $30.00", "Yoga Mat (thickness 4mm): $20.00"
    assert customer.reply(returning(lamp, mat), YES_NO) == "yes"
    assert "Yoga Mat" in Customer(wanted, me({"#W8880001": ["Desk Lamp", "Yoga Mat"]})).reply(
        returning(lamp), YES_NO
    )


MAKERS = {"#W9990001": ["Coffee Maker", "Coffee Maker"]}
MAKER_WISH = (
    "In order #W9990001 you ordered two coffee makers. You want to change the steel drip one "
    "to a black espresso maker with a timer. Pay any difference with your paypal."
)
MAKER_OPTIONS = [
    "Coffee Maker: color black, type espresso, features timer - $270.00",
    "Coffee Maker: color steel, type drip, features timer - $250.00",
]


def test_of_two_items_with_one_name_the_one_described_is_changed() -> None:
    customer = Customer(MAKER_WISH, me(MAKERS))
    drip = "Coffee Maker: keep as it is (color steel, type drip, features grinder) - $236.00"
    assert customer.reply("Which option?", [*MAKER_OPTIONS, drip]) == MAKER_OPTIONS[0][:-10]


def test_of_two_items_with_one_name_the_other_is_kept() -> None:
    customer = Customer(MAKER_WISH, me(MAKERS, {"#W9990001": "pending"}))
    press = "Coffee Maker: keep as it is (color black, type french press, features shutoff) - $1"
    assert customer.reply("Which option?", [*MAKER_OPTIONS, press]) == press[:-5]


def test_plural_words_match_singular_values() -> None:
    domain = {"storage": {"SD card", "CF card"}, "resolution": {"24MP", "30MP"}}
    wish = prose_wish(
        "It should be the 24MP one that takes SD cards instead of the 30MP with the CF card.",
        {},
        domain,
    )
    assert wish.stated == {"storage": "SD card", "resolution": "24MP"}


def test_the_same_model_again_for_the_one_of_two_described() -> None:
    wanted = (
        "The zipper on the black jacket, the size L one, keeps catching, so you want it swapped "
        "for a new one exactly the same."
    )
    customer = Customer(wanted, me({"#W9990002": ["Jacket", "Jacket"]}))
    items = ["Jacket (color navy, size XL) - $157.86", "Jacket (color black, size L) - $159.92"]
    assert customer.reply("Which items? You can pick several.", items) == items[1]


def test_does_not_need_to_be_is_a_no() -> None:
    wish = prose_wish(
        "You'd like it in green; it doesn't need to be water resistant.",
        {"color": "blue", "water resistance": "yes"},
        {"color": {"green", "blue"}, "water resistance": {"yes", "no"}},
    )
    assert wish.stated == {"color": "green", "water resistance": "no"}


def test_a_product_told_by_its_everyday_word_picks_its_order_and_item() -> None:
    wanted = "You want to exchange your blue road bike for a red mountain bike."
    orders = {"#W4440001": ["Grill", "Headphones"], "#W4440002": ["Bicycle", "Bookshelf"]}
    customer = Customer(wanted, me(orders))
    labels = ["#W4440001 - delivered - Grill, Headphones", "#W4440002 - delivered - Bicycle"]
    assert customer.reply("Which order are the items from?", labels) == "#W4440002"
    items = ["Bicycle (color blue, type road) - $2195.04", "Bookshelf (color black) - $473.48"]
    assert customer.reply("Which items would you like to exchange?", items) == "Bicycle"


# items the instruction keeps, items of one name, exchanges for the same item

CAMERA_ORDER = {
    "#W7770001": ["Indoor Security Camera", "Desk Lamp", "Wall Clock", "Yoga Mat"],
}
CAMERA_ITEMS = [
    "Indoor Security Camera (resolution 2K) - $190.00",
    "Desk Lamp (color black) - $30.00",
    "Wall Clock (color white) - $50.00",
    "Yoga Mat (thickness 4mm) - $20.00",
    "All of them",
]


def test_everything_except_an_item_returns_the_others_not_all_of_them() -> None:
    wanted = (
        "You want to return everything from order #W7770001 except the security camera, "
        "with the refund to your paypal."
    )
    customer = Customer(wanted, me(CAMERA_ORDER))
    answer = customer.reply(
        'Which items would you like to return? You can pick several, or say "all of them".',
        CAMERA_ITEMS,
    )
    assert "Camera" not in answer and answer != "all of them"
    assert all(name in answer for name in ("Desk Lamp", "Wall Clock", "Yoga Mat"))


def return_proposal(order: str, *lines: str) -> str:
    body = "\n".join(f"- {line}" for line in lines)
    return (
        f"Here's the return I'd set up for order {order}:\n{body}\n"
        "Refund: $80.00 to your PayPal.\nShall I go ahead? Please answer yes or no."
    )


def test_an_item_said_to_be_fine_is_never_claimed_missing() -> None:
    wanted = (
        "Your order #W7770001 arrived. You want to return the desk lamp and the wall clock to "
        "your paypal; the yoga mat is fine. The security camera stays as it is."
    )
    customer = Customer(wanted, me(CAMERA_ORDER))
    both = return_proposal(
        "#W7770001", "Desk Lamp (color black): $30.00", "Wall Clock (color white): $50.00"
    )
    assert customer.reply(both, YES_NO) == "yes"
    with_mat = return_proposal(
        "#W7770001", "Desk Lamp (color black): $30.00", "Yoga Mat (thickness 4mm): $20.00"
    )
    answer = customer.reply(with_mat, YES_NO)
    assert answer.startswith("No") and "Yoga Mat" in answer.split("not")[-1]
    assert "Wall Clock" in answer and "Camera" not in answer


def test_items_listed_in_a_sentence_that_only_tells_the_order_are_not_acted_on() -> None:
    wanted = (
        "You ordered a desk lamp, a wall clock, a yoga mat and a security camera together. "
        "The yoga mat is too thin; you want to exchange it for the 6mm one. "
        "Use your paypal for any difference."
    )
    customer = Customer(wanted, me(CAMERA_ORDER))
    answer = customer.reply(
        "Which option would you like instead?",
        ["Wall Clock: color black - $55.00", "Wall Clock: color red - $52.00"],
    )
    assert answer.startswith("I only want to exchange the Yoga Mat")
    assert "Desk Lamp" not in answer and "Camera" not in answer


NOTEBOOK_ORDER = {"#W7770002": ["Pet Bed", "Notebook", "Smartphone", "Notebook", "Headphones"]}


def test_both_items_of_one_name_must_be_in_the_proposal() -> None:
    wanted = (
        "In the order with the pet bed you also got two A5 notebooks and headphones. You want "
        "to return both notebooks and the headphones, with the refund to your paypal. You keep "
        "the phone and the pet bed."
    )
    customer = Customer(wanted, me(NOTEBOOK_ORDER))
    one = return_proposal(
        "#W7770002", "Notebook (size A5): $28.00", "Headphones (color black): $52.00"
    )
    answer = customer.reply(one, YES_NO)
    assert answer.startswith("No") and "both Notebooks" in answer and "Headphones" in answer
    two = return_proposal(
        "#W7770002",
        "Notebook (size A5): $28.00",
        "Notebook (size A5): $28.00",
        "Headphones (color black): $52.00",
    )
    assert customer.reply(two, YES_NO) == "yes"


KETTLE_VARIANTS = [
    "Electric Kettle: capacity 1L, material glass, color silver - $137.17",
    "Electric Kettle: capacity 1L, material stainless steel, color silver - $150.00",
    "Electric Kettle: capacity 1L, material plastic, color black - $140.00",
    "Electric Kettle: a new one of the same option (capacity 1L, material glass, color white) "
    "- $155.99",
]
KETTLE_PROSE = (
    "The white glass electric kettle from order #W6660002 leaves limescale everywhere. You "
    "want to exchange it for a stainless steel one of the same 1-litre size. You'd like it in "
    "black; if the black one weren't available, silver would do. Any difference goes to your "
    "paypal."
)


def test_an_exchange_takes_the_second_choice_when_the_first_is_not_offered() -> None:
    customer = Customer(KETTLE_PROSE, me({"#W6660002": ["Electric Kettle", "Desk Lamp"]}))
    answer = customer.reply("Which option would you like instead?", KETTLE_VARIANTS)
    assert answer == KETTLE_VARIANTS[1].rsplit(" - $", 1)[0]
    black = "Electric Kettle: capacity 1L, material stainless steel, color black - $153.25"
    customer = Customer(KETTLE_PROSE, me({"#W6660002": ["Electric Kettle", "Desk Lamp"]}))
    answer = customer.reply("Which option?", [*KETTLE_VARIANTS, black])
    assert answer == black.rsplit(" - $", 1)[0]


def test_the_item_unchanged_is_never_picked_nor_accepted_for_an_exchange() -> None:
    customer = Customer(KETTLE_PROSE, me({"#W6660002": ["Electric Kettle", "Desk Lamp"]}))
    same_only = [KETTLE_VARIANTS[0], KETTLE_VARIANTS[3]]
    answer = customer.reply("Which option would you like instead?", same_only)
    assert "same option" not in answer and "stainless steel" in answer
    same = exchange(
        "#W6660002",
        "Electric Kettle: capacity 1L, material glass, color white -> a new one of the same "
        "option ($155.99)",
    )
    assert customer.reply(same, YES_NO).startswith("No, I don't want the Electric Kettle")


def test_of_two_items_with_one_name_the_one_that_stays_is_refused() -> None:
    wanted = (
        "You got two pairs of wireless earbuds in order #W7770003. The blue pair only lasts "
        "four hours on a charge. You want the blue ones exchanged for blue earbuds with the "
        "8-hour battery. The black pair is fine and stays as it is. Use your paypal."
    )
    customer = Customer(wanted, me({"#W7770003": ["Wireless Earbuds", "Wireless Earbuds"]}))
    both = exchange(
        "#W7770003",
        "Wireless Earbuds: color black, battery life 6 hours -> color blue, battery life 8 "
        "hours ($267.90 -> $226.49)",
        "Wireless Earbuds: color blue, battery life 4 hours -> color blue, battery life 8 "
        "hours ($258.97 -> $226.49)",
    )
    answer = customer.reply(both, YES_NO)
    assert answer.startswith("No") and "color black, battery life 6 hours stays" in answer


ADDRESS_CHOICES = [
    "change my default address",
    "change the shipping address of a pending order",
    "exchange an item",
    "talk to a person",
]


def test_an_order_sent_elsewhere_is_its_shipping_address_not_the_account() -> None:
    wanted = (
        "Your order with the desk lamp is still set to go to your old flat. You want it "
        "delivered to your home address instead, the one on your account."
    )
    customer = Customer(wanted, me(LAMP_ORDER, {"#W5550001": "pending"}))
    answer = customer.reply("Which of these do you mean?", ADDRESS_CHOICES)
    assert answer == "change the shipping address of a pending order"


def test_an_order_that_should_stay_as_it_is_keeps_its_address() -> None:
    wanted = (
        "You want the address on your account changed to 77 Oak Court, Charlotte, NC 28203. "
        "Your pending order is going to your office and should stay that way."
    )
    customer = Customer(wanted, me(LAMP_ORDER, {"#W5550001": "pending"}))
    assert customer.reply("Which of these do you mean?", ADDRESS_CHOICES) == ADDRESS_CHOICES[0]
    order = (
        "I'll change the shipping address of pending order #W5550001\nfrom: 1 Elm St\n"
        "to: 77 Oak Court, Charlotte, NC 28203, USA.\nShall I go ahead? Please answer yes or no."
    )
    assert customer.reply(order, YES_NO).startswith("No, the order should keep its address")


def test_an_order_paid_another_way_is_a_change_of_payment_not_a_cancellation() -> None:
    wanted = (
        "Your order #W5550001 hasn't shipped yet and was paid with your gift card. You'd like "
        "the order paid with PayPal instead and the gift card refunded."
    )
    customer = Customer(wanted, me(LAMP_ORDER, {"#W5550001": "pending"}))
    choices = [
        "change the payment method of a pending order",
        "cancel a pending order",
        "return items",
        "talk to a person",
    ]
    assert customer.reply("Which of these do you mean?", choices) == choices[0]


def test_the_same_item_but_another_option_is_an_exchange_with_decimals_said() -> None:
    wanted = (
        "The silver electric kettle from order #W6660002 clashes with your kitchen. You want "
        "the same kettle, 1.5 litres in plastic, but in black. Any difference through paypal."
    )
    customer = Customer(wanted, me({"#W6660002": ["Electric Kettle"]}))
    proposal = exchange(
        "#W6660002",
        "Electric Kettle: capacity 1.5L, material plastic, color silver -> capacity 1.5L, "
        "material plastic, color black ($158.90 -> $145.48)",
    )
    assert customer.reply(proposal, YES_NO) == "yes"


def test_asked_about_the_twin_that_stays_the_customer_says_which_one_is_meant() -> None:
    wanted = (
        "From your order #W7770004 with two jigsaw puzzles, the 2000-piece animal puzzle is "
        "too much for your kids; you want the 1500-piece animal puzzle instead. The 500-piece "
        "puzzle stays. Use your paypal."
    )
    customer = Customer(wanted, me({"#W7770004": ["Jigsaw Puzzle", "Jigsaw Puzzle"]}))
    choices = [
        "Jigsaw Puzzle: pieces 1500, theme animals - $46.00",
        "Jigsaw Puzzle: pieces 1000, theme art - $49.10",
        "Jigsaw Puzzle: a new one of the same option (pieces 500, theme animals) - $53.53",
    ]
    answer = customer.reply("Which option would you like instead?", choices)
    assert answer.startswith("Not that one") and "pieces 2000" in answer.split("other")[-1]


def test_not_sure_a_third_time_to_the_same_question_asks_for_a_person() -> None:
    customer = Customer("You want help with something you can't name.", me(LAMP_ORDER))
    asked = "Which of these do you mean?"
    choices = ["check an order", "product details and availability"]
    assert customer.reply(asked, choices) == "I'm not sure."
    assert customer.reply("Let me make this clearer. " + asked, choices) == "I'm not sure."
    assert "person" in customer.reply("I can see that wasn't clear. " + asked, choices)


def test_both_items_of_one_name_are_picked_and_the_kept_ones_are_not() -> None:
    wanted = (
        "In the order with the pet bed you also got two A5 notebooks and headphones. You want "
        "to return both notebooks and the headphones, with the refund to your paypal. You keep "
        "the phone and the pet bed."
    )
    notebook = "Notebook (cover type soft cover, size A5) - $28.59"
    choices = [
        "Pet Bed (size large) - $90.00",
        notebook,
        "Smartphone (color black) - $500.00",
        notebook,
        "Headphones (color black) - $52.00",
        "All of them",
    ]
    answer = Customer(wanted, me(NOTEBOOK_ORDER)).reply(
        'Which items would you like to return? You can pick several, or say "all of them".',
        choices,
    )
    assert answer.count(notebook) == 2 and "Headphones" in answer
    assert "Pet Bed" not in answer and "Smartphone" not in answer


def test_an_item_that_came_otherwise_than_wanted_is_an_exchange_without_the_word() -> None:
    wanted = (
        "Your lamp from order #W5550001 came in black, but you really wanted red. "
        "Pay with your paypal."
    )
    customer = Customer(wanted, me(LAMP_ORDER))
    proposal = exchange("#W5550001", "Desk Lamp: color black -> color red ($30.00 -> $32.00)")
    assert customer.reply(proposal, YES_NO) == "yes"
    blue = exchange("#W5550001", "Desk Lamp: color black -> color blue ($30.00 -> $32.00)")
    assert customer.reply(blue, YES_NO).startswith("No")


def test_orders_offered_that_hold_none_of_the_products_told_are_none_of_those() -> None:
    wanted = (
        "A while back you cancelled an order with a wall clock and a security camera, and you "
        "want to check how much was refunded. You don't want to change any other order."
    )
    held = {**CAMERA_ORDER, "#W7770009": ["Desk Lamp", "Yoga Mat"]}
    customer = Customer(wanted, me(held))
    answer = customer.reply(
        "Which order would you like to cancel?", ["#W7770009 - pending - Desk Lamp, Yoga Mat"]
    )
    assert answer.startswith("None of those") and "Wall Clock" in answer


def test_an_action_the_instruction_does_not_want_is_never_picked_for_it() -> None:
    wanted = (
        "A while back you cancelled an order with a wall clock, and you want to check how much "
        "was refunded. You don't want to change any of your other orders."
    )
    customer = Customer(wanted, me(CAMERA_ORDER))
    choices = [
        "change the items of a pending order",
        "product details and availability",
        "exchange an item",
        "talk to a person",
    ]
    for asked in ("Which of these do you mean?", "Sorry. Which of these do you mean?"):
        assert customer.reply(asked, choices) not in choices


def test_two_items_an_order_holds_are_not_two_to_change() -> None:
    wanted = (
        "In order #W7770005 you ordered two electric kettles. You want to change the white "
        "glass one to a black plastic one. Pay with your paypal."
    )
    customer = Customer(wanted, me({"#W7770005": ["Electric Kettle", "Electric Kettle"]}))
    proposal = (
        "Here's the change I'd make to pending order #W7770005:\n"
        "- Electric Kettle: capacity 1L, material glass, color white -> capacity 1L, material "
        "plastic, color black ($155.99 -> $140.00)\n"
        "Price difference: $15.99 refunded to your PayPal.\nShall I go ahead? Please answer yes or no."
    )
    assert customer.reply(proposal, YES_NO) == "yes"
