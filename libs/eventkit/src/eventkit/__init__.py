"""The shared messaging mechanics of every service: transactional outbox and relay (with
parking of unpublishable rows), idempotent consumer (inbox) with retries and dead-lettering,
retention of both tables, trace propagation, migrations, and the service runtime. No domain
code lives here. The delivery contract is stated in `eventkit.consumer`."""

from eventkit.consumer import EventConsumer, Handler, serialized_by
from eventkit.errors import DomainRejection, is_transient
from eventkit.service import Runtime, Service
from eventkit.settings import ServiceSettings
from eventkit.unit_of_work import Context, UnitOfWork

__all__ = [
    "Context",
    "DomainRejection",
    "EventConsumer",
    "Handler",
    "Runtime",
    "Service",
    "ServiceSettings",
    "UnitOfWork",
    "is_transient",
    "serialized_by",
]
