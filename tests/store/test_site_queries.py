"""The widget's SQL on both engines: sites, a chat's widget context, extra tokens."""

from __future__ import annotations

import pytest

from supportflow.errors import Conflict, NotFound
from supportflow.store import RoomState, Store, utc_in
from supportflow.store.sites import SiteRecord

SITE = SiteRecord(
    site_id="shop",
    name="The Shop",
    allowed_origins=("https://shop.test",),
    brand_color="#123456",
    greeting="Hi!",
    launcher_position="bottom-right",
    prechat_fields=("name",),
    secret="s3cret",
    created_at="",
    updated_at="",
)


async def test_sites_are_created_changed_and_deleted(store: Store) -> None:
    created = await store.create_site(SITE)
    assert (created.allowed_origins, created.prechat_fields) == (("https://shop.test",), ("name",))
    with pytest.raises(Conflict):
        await store.create_site(SITE)
    changed = await store.update_site(
        "shop", {"greeting": "Hello", "allowed_origins": ("https://a.test", "https://b.test")}
    )
    assert (changed.greeting, changed.allowed_origins, changed.name) == (
        "Hello",
        ("https://a.test", "https://b.test"),
        "The Shop",
    )
    assert (await store.set_site_secret("shop", "new")).secret == "new"
    assert [site.site_id for site in await store.sites()] == ["shop"]
    await store.delete_site("shop")
    with pytest.raises(NotFound):
        await store.get_site("shop")
    with pytest.raises(NotFound):
        await store.update_site("shop", {"greeting": "x"})


async def test_a_widget_chat_keeps_its_context_and_extra_tokens(store: Store) -> None:
    await store.create_site(SITE)
    session = await store.create_session("cust-1", "d-first")
    await store.add_site_chat(session.session_id, "shop", True, {"plan": "gold"})
    await store.set_user_profile("cust-1", "Cora", None)
    await store.set_user_profile("cust-1", None, "cora@example.test")

    chat = await store.site_chat(session.session_id)
    assert chat is not None
    assert (chat.site_name, chat.verified, chat.attributes) == ("The Shop", True, {"plan": "gold"})
    assert (chat.name, chat.email) == ("Cora", "cora@example.test")
    merged = await store.merge_chat_attributes(session.session_id, {"plan": None, "a": 1}, 2)
    assert merged == {"a": 1}
    with pytest.raises(Conflict):
        await store.merge_chat_attributes(session.session_id, {"b": 2, "c": 3}, 2)
    with pytest.raises(NotFound):
        await store.merge_chat_attributes("no-such-session", {"a": 1}, 2)

    opened = await store.open_site_chat("shop", "cust-1")
    assert opened is not None and opened.session_id == session.session_id
    await store.add_session_token(session.session_id, "d-second", utc_in(60))
    extra = await store.session_by_extra_token("d-second")
    assert extra is not None and extra.session_id == session.session_id
    assert extra.expires_at is not None and extra.expires_at != session.expires_at
    assert await store.session_by_extra_token("d-unknown") is None
    await store.set_room_state(session.room_id, RoomState.CLOSED, (RoomState.BOT_ACTIVE,))
    assert await store.open_site_chat("shop", "cust-1") is None
    await store.delete_site("shop")
    gone = await store.site_chat(session.session_id)
    assert gone is not None and gone.site_name is None  # the chat still says where it began
