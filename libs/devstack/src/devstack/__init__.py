"""devstack: the real local stack (Apache Kafka 4.x in KRaft mode + PostgreSQL) for
development and tests, and the services run as their own OS processes.

    KafkaNode      one broker (kafka.py)          PostgresNode  one server (postgres.py)
    Stack          both + databases + topics      create_topics registry topics + DLTs
    ServiceProcess `python -m <module>`           SERVICES      the service table

Nothing here does I/O at import time.
"""

from devstack._util import DevstackError
from devstack.kafka import KafkaNode
from devstack.postgres import PostgresNode, create_databases, drop_database
from devstack.processes import ServiceExited, ServiceProcess
from devstack.services import DATABASES, SERVICES, ServiceSpec, service_env
from devstack.stack import Stack
from devstack.topics import create_topics, delete_topics, describe_partitions, topic_specs

__all__ = [
    "DATABASES",
    "SERVICES",
    "DevstackError",
    "KafkaNode",
    "PostgresNode",
    "ServiceExited",
    "ServiceProcess",
    "ServiceSpec",
    "Stack",
    "create_databases",
    "create_topics",
    "delete_topics",
    "describe_partitions",
    "drop_database",
    "service_env",
    "topic_specs",
]
