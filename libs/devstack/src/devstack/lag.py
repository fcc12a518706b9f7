"""Consumer lag: whether every consumer group has caught up with what was published."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient


async def groups_caught_up(stack) -> bool:
    """True when every consumer group has committed the end of every partition it reads of
    this stack's topics (other namespaces on a shared broker are not looked at)."""
    from contracts.topics import TOPICS

    mine = {stack.topic(t.name) for t in TOPICS}
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, group_id=None)
    await admin.start()
    await consumer.start()
    try:
        for group, _ in await admin.list_consumer_groups():
            offsets = {tp: m for tp, m in (await admin.list_consumer_group_offsets(group)).items() if tp.topic in mine}
            if not offsets:
                continue
            end = await consumer.end_offsets(list(offsets))
            if any(meta.offset < end[tp] for tp, meta in offsets.items()):
                return False
        return True
    finally:
        await consumer.stop()
        await admin.close()
