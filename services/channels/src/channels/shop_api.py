"""One connector's way into its platform's API: credentials opened from their sealed form,
and tokens the platform rotates (Etsy) sealed and stored again in their own transaction."""

from __future__ import annotations

import httpx
from sqlalchemy import update

from channels.platforms.base import Credentials, ShopApi
from channels.secrets import SecretBox
from channels.tables import Connector
from eventkit import Runtime


def credentials(box: SecretBox, c: Connector) -> Credentials:
    return Credentials(
        admin_token=box.open(c.admin_token), api_key=box.open(c.api_key), api_secret=box.open(c.api_secret),
        access_token=box.open(c.access_token), refresh_token=box.open(c.refresh_token),
        token_expires_at=c.token_expires_at,
    )


def shop_api(rt: Runtime, box: SecretBox, c: Connector, client: httpx.AsyncClient) -> ShopApi:
    async def keep(creds: Credentials) -> None:
        # Committed at once: the platform already invalidated the old refresh token.
        async with rt.uow.sessions() as session, session.begin():
            await session.execute(
                update(Connector).where(Connector.channel == c.channel, Connector.shop == c.shop)
                .values(access_token=box.seal(creds.access_token), refresh_token=box.seal(creds.refresh_token),
                        token_expires_at=creds.token_expires_at)
            )

    return ShopApi(client=client, base_url=(c.admin_url or "").rstrip("/"), shop=c.shop, shop_id=c.shop_id,
                   credentials=credentials(box, c), on_credentials_changed=keep)


def ready_for_api(c: Connector) -> bool:
    return bool(c.enabled and c.admin_url)
