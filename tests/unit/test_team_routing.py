"""`choose_team`: the team whose topics match the chat best, the same on every node."""

from __future__ import annotations

from supportflow.escalation.routing import ChatTopics, choose_team
from supportflow.store import TeamRecord


def team(
    team_id: str, categories: tuple[str, ...] = (), reasons: tuple[str, ...] = ()
) -> TeamRecord:
    return TeamRecord(team_id, team_id.title(), categories, reasons, "t", "t")


BILLING = team("billing", categories=("billing", "plans"))
TECH = team("tech", categories=("network", "sim"))
RETENTION = team("retention", reasons=("cancellation", "frustration"))
TEAMS = [TECH, BILLING, RETENTION]


def test_a_category_of_the_chat_picks_its_team() -> None:
    assert choose_team(TEAMS, ChatTopics.of(["Billing "], ["low_confidence"])) == BILLING
    assert choose_team(TEAMS, ChatTopics.of(["sim", "network"], [])) == TECH


def test_no_topic_in_common_routes_to_no_team() -> None:
    assert choose_team(TEAMS, ChatTopics.of(["roaming"], ["human_requested"])) is None
    assert choose_team([], ChatTopics.of(["billing"], [])) is None


def test_a_reason_outranks_categories() -> None:
    topics = ChatTopics.of(["billing", "plans"], ["frustration"])
    assert choose_team(TEAMS, topics) == RETENTION


def test_more_matches_win_and_ties_go_by_name() -> None:
    both = team("a-both", categories=("billing", "plans"))
    one = team("0-one", categories=("billing",))
    assert choose_team([one, both], ChatTopics.of(["billing", "plans"], [])) == both
    twin = team("a-twin", categories=("billing", "plans"))
    assert choose_team([twin, both], ChatTopics.of(["billing", "plans"], [])) == both
