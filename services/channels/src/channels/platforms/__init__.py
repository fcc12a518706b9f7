"""The shop platforms, one module each, behind the `Platform` interface (base.py)."""

from __future__ import annotations

from channels.domain.channels import Channel
from channels.platforms.base import Platform


def platform_for(channel: Channel | str) -> Platform:
    # Imported here so that a platform module's import cost is paid only where it is used.
    channel = Channel(channel)
    if channel is Channel.shopify:
        from channels.platforms.shopify import Shopify
        return Shopify()
    if channel is Channel.woocommerce:
        from channels.platforms.woocommerce import WooCommerce
        return WooCommerce()
    from channels.platforms.etsy import Etsy
    return Etsy()
