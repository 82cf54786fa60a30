"""`TeamRouter`: the team a room's escalation goes to first, and who of it hears the alert.

The choice itself is `escalation.routing.choose_team`; this reads what it needs: the teams,
the categories of the articles the bot used in the room's recent replies (and the hand-over
reply's), and which of the team's agents are available. Nobody of the team available: the
route says so (`to_everyone`), and the alert goes to every available agent at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from supportflow.errors import NotFound
from supportflow.escalation.routing import ChatTopics, choose_team, reply_categories
from supportflow.rooms.responder import Reply
from supportflow.store import Store, TeamRoute


class TeamRouter:
    def __init__(self, store: Store, history_limit: int) -> None:
        self._store = store
        self._history_limit = history_limit

    async def route(
        self,
        room_id: str,
        reasons: Sequence[str],
        hand_over: Reply | None = None,
        team_id: str | None = None,
    ) -> TeamRoute | None:
        """Where an escalation goes first: `team_id` when given (a transfer to that team,
        which must exist), else the best-matching team; None when no team matches."""
        if team_id is None:
            teams = await self._store.all_teams()
            if not teams:
                return None
            topics = ChatTopics.of(await self._categories(room_id, hand_over), reasons)
            team = choose_team(teams, topics)
            if team is None:
                return None
            team_id = team.team_id
        else:
            await self._store.get_team(team_id)  # NotFound `team_not_found`
        audience = await self._store.available_team_agents(team_id)
        return TeamRoute(team_id, to_everyone=not audience)

    async def audience(self, team_id: str) -> tuple[str, ...]:
        """The team's agents an alert goes to now (available, enabled)."""
        return tuple(await self._store.available_team_agents(team_id))

    async def name(self, team_id: str | None) -> str | None:
        if team_id is None:
            return None
        try:
            return (await self._store.get_team(team_id)).name
        except NotFound:  # deleted since: its escalations keep the id
            return None

    async def _categories(self, room_id: str, hand_over: Reply | None) -> list[str]:
        categories: list[str] = []
        if hand_over is not None:
            named = (*hand_over.sources, *hand_over.considered)
            categories += [source.category for source in named if source.category]
        for message in await self._store.recent_messages(room_id, self._history_limit):
            if message.sender_type == "bot":
                categories += reply_categories(message.metadata)
        return categories
