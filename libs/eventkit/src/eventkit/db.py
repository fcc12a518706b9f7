"""Database engine and sessions for a service's own PostgreSQL database."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    # No pool_pre_ping: it costs a round trip on every checkout, i.e. on every event and
    # request, to catch what happens once per database restart. Then the first statement on a
    # stale connection fails with a disconnect, SQLAlchemy invalidates every connection the
    # pool held before it, the consumer retries the event (transient) and a request gets a
    # 503 (service.py).
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def asyncpg_dsn(url: str) -> str:
    """The plain libpq URL asyncpg wants, from a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)
