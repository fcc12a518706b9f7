CREATE TABLE probe_seen (
    order_id   TEXT PRIMARY KEY,
    applied    INT NOT NULL,
    handled_by TEXT NOT NULL
);

CREATE TABLE probe_fixed (order_id TEXT PRIMARY KEY);
