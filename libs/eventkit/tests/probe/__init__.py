"""A minimal service built on the event kit, run as its own process by the kit's tests.

It consumes OrderPlaced and counts, per order, how many times the handler's effect was
applied (a duplicate would show 2). Customer names steer failures: "POISON" raises on every
attempt, "REJECT" raises DomainRejection, "TRANSIENT" raises an OSError every time, "FLAKY" raises an
OSError on its first PROBE_FLAKY_FAILURES attempts (per order, counted in this process) and
then applies, "SLOW" takes PROBE_SLOW_MS to apply."""
