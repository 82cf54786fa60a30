"""Sites over REST (admin): the websites allowed to embed the chat widget.

POST   /api/sites                 201 the site, with its secret (shown this once)
GET    /api/sites                 every site (never a secret)
GET    /api/sites/<id>            one site
PATCH  /api/sites/<id>            change its origins, look, greeting or pre-chat form
DELETE /api/sites/<id>            the widget stops loading there; its chats stay
POST   /api/sites/<id>/secret     a new secret (shown once); the old one stops verifying
"""

from __future__ import annotations

import secrets
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from quart import Blueprint, request
from quart_schema import validate_request, validate_response

from supportflow.api.context import require, services
from supportflow.api.models import Body, Identifier
from supportflow.auth import Role
from supportflow.sites import normalize_origin
from supportflow.sites.brand import ink_on
from supportflow.sites.origins import ORIGIN_PATTERN
from supportflow.store.sites import SiteRecord

blueprint = Blueprint("sites", __name__, url_prefix="/api")

SECRET_PREFIX = "sfs_"
MAX_ORIGINS = 20
DEFAULT_BRAND_COLOR = "#0b5cad"
DEFAULT_GREETING = "Hi! Ask us about your plan, bill, phone or network."

Origin = Annotated[
    str,
    StringConstraints(pattern=ORIGIN_PATTERN, max_length=300),
    AfterValidator(normalize_origin),
]
Origins = Annotated[list[Origin], Field(min_length=1, max_length=MAX_ORIGINS)]
BrandColor = Annotated[
    str,
    StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$", to_lower=True),
    Field(description="#rrggbb; the launcher's and header's text is chosen to stay readable"),
]
# Something visible after trimming (a schema-valid name must be an accepted one).
SiteName = Annotated[
    str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True, pattern=r"\S")
]
Greeting = Annotated[
    str,
    StringConstraints(min_length=1, max_length=300, strip_whitespace=True, pattern=r"\S"),
]
Position = Literal["bottom-right", "bottom-left"]
PrechatFields = Annotated[
    list[Literal["name", "email"]],
    Field(max_length=2, description="asked of anonymous visitors before their first message"),
]


class CreateSite(Body):
    site_id: Identifier | None = Field(default=None, description="chosen by the server if left out")
    name: SiteName
    allowed_origins: Origins
    brand_color: BrandColor = DEFAULT_BRAND_COLOR
    greeting: Greeting = DEFAULT_GREETING
    launcher_position: Position = "bottom-right"
    prechat_fields: PrechatFields = Field(default_factory=list)


class UpdateSite(Body):
    """The settings to change; those left out (or null) stay as they are."""

    name: SiteName | None = None
    allowed_origins: Origins | None = None
    brand_color: BrandColor | None = None
    greeting: Greeting | None = None
    launcher_position: Position | None = None
    prechat_fields: PrechatFields | None = None


class Site(BaseModel):
    site_id: str
    name: str
    allowed_origins: list[str]
    brand_color: str
    greeting: str
    launcher_position: Position
    prechat_fields: list[str]
    created_at: str
    updated_at: str
    snippet: str = Field(description="the script tag to paste into the site's pages")

    @classmethod
    def of(cls, record: SiteRecord) -> Site:
        base = request.host_url  # ends with "/"
        return cls(
            site_id=record.site_id,
            name=record.name,
            allowed_origins=list(record.allowed_origins),
            brand_color=record.brand_color,
            greeting=record.greeting,
            launcher_position=record.launcher_position,  # type: ignore[arg-type]
            prechat_fields=list(record.prechat_fields),
            created_at=record.created_at,
            updated_at=record.updated_at,
            snippet=f'<script src="{base}widget.js" data-site="{record.site_id}" async></script>',
        )


class SiteWithSecret(Site):
    secret: str = Field(
        description="Key of user_hash = hex HMAC-SHA256(secret, user_id); shown once: keep"
        " it on your server, never in a page"
    )


class SiteList(BaseModel):
    sites: list[Site]


class SiteDeleted(BaseModel):
    site_id: str
    deleted: bool


class WidgetLook(BaseModel):
    """What the widget needs to draw itself on a page: public, no secret."""

    site_id: str
    name: str
    brand_color: str
    brand_ink: str = Field(description="the text colour that reads best on brand_color")
    greeting: str
    launcher_position: Position
    prechat_fields: list[str]

    @classmethod
    def of(cls, record: SiteRecord) -> WidgetLook:
        return cls(
            site_id=record.site_id,
            name=record.name,
            brand_color=record.brand_color,
            brand_ink=ink_on(record.brand_color),
            greeting=record.greeting,
            launcher_position=record.launcher_position,  # type: ignore[arg-type]
            prechat_fields=list(record.prechat_fields),
        )


@blueprint.post("/sites")
@validate_request(CreateSite)
@validate_response(SiteWithSecret, 201)
async def create_site(data: CreateSite) -> tuple[SiteWithSecret, int]:
    """Allow a website to embed the chat (admin); the answer carries its secret, once.

    409 `site_exists` for a taken `site_id`.
    """
    await require(Role.ADMIN)
    secret = _new_secret()
    record = await services().store.create_site(
        SiteRecord(
            site_id=data.site_id or f"site-{secrets.token_hex(6)}",
            name=data.name,
            allowed_origins=tuple(dict.fromkeys(data.allowed_origins)),
            brand_color=data.brand_color,
            greeting=data.greeting,
            launcher_position=data.launcher_position,
            prechat_fields=tuple(dict.fromkeys(data.prechat_fields)),
            secret=secret,
            created_at="",
            updated_at="",
        )
    )
    await _origins_changed()
    return SiteWithSecret(**Site.of(record).model_dump(), secret=secret), 201


@blueprint.get("/sites")
@validate_response(SiteList, 200)
async def list_sites() -> SiteList:
    """Every site, by id (admin); secrets are never shown again."""
    await require(Role.ADMIN)
    return SiteList(sites=[Site.of(record) for record in await services().store.sites()])


@blueprint.get("/sites/<site_id>")
@validate_response(Site, 200)
async def get_site(site_id: str) -> Site:
    """One site (admin); 404 `site_not_found`."""
    await require(Role.ADMIN)
    return Site.of(await services().store.get_site(site_id))


@blueprint.patch("/sites/<site_id>")
@validate_request(UpdateSite)
@validate_response(Site, 200)
async def update_site(site_id: str, data: UpdateSite) -> Site:
    """Change a site's settings (admin): origins take effect on the next page load."""
    await require(Role.ADMIN)
    changes = data.model_dump(exclude_none=True)
    for name in ("allowed_origins", "prechat_fields"):
        if name in changes:
            changes[name] = tuple(dict.fromkeys(changes[name]))
    record = await services().store.update_site(site_id, changes)
    await _origins_changed()
    return Site.of(record)


@blueprint.delete("/sites/<site_id>")
@validate_response(SiteDeleted, 200)
async def delete_site(site_id: str) -> SiteDeleted:
    """Remove a site (admin): the widget no longer loads there; its chats are kept."""
    await require(Role.ADMIN)
    await services().store.delete_site(site_id)
    await _origins_changed()
    return SiteDeleted(site_id=site_id, deleted=True)


@blueprint.post("/sites/<site_id>/secret")
@validate_response(SiteWithSecret, 200)
async def rotate_secret(site_id: str) -> SiteWithSecret:
    """A new secret for the site (admin), shown once; hashes signed with the old one are
    refused from now on, so update the site's back end at the same time."""
    await require(Role.ADMIN)
    secret = _new_secret()
    record = await services().store.set_site_secret(site_id, secret)
    return SiteWithSecret(**Site.of(record).model_dump(), secret=secret)


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


async def _origins_changed() -> None:
    # This process at once; the other nodes on their next re-read (sites/origins.py).
    await services().site_origins.reload(services().store)
