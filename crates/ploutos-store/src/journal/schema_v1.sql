-- Ploutos journal, schema version 1. Applied once, inside one transaction, by migrate().
-- Money and quantities are TEXT decimals (exactly as rust_decimal prints them); times are
-- INTEGER nanoseconds since the Unix epoch (UTC), with an RFC 3339 TEXT copy for people.

-- One row per append() call: the entries it wrote are exactly first_seq..=last_seq.
CREATE TABLE batches (
    batch     INTEGER PRIMARY KEY,
    first_seq INTEGER NOT NULL,
    last_seq  INTEGER NOT NULL,
    CHECK (last_seq >= first_seq)
);

-- The global log: one row per journal entry, seq contiguous from 1.
CREATE TABLE entries (
    seq     INTEGER PRIMARY KEY,
    batch   INTEGER NOT NULL REFERENCES batches(batch) DEFERRABLE INITIALLY DEFERRED,
    kind    TEXT    NOT NULL CHECK (kind IN ('new_order', 'order_event', 'signal', 'event', 'snapshot')),
    time_ns INTEGER NOT NULL
);
CREATE INDEX entries_batch ON entries(batch);

CREATE TABLE orders (
    client_id    TEXT    PRIMARY KEY,
    seq          INTEGER NOT NULL UNIQUE REFERENCES entries(seq),
    strategy     TEXT    NOT NULL,
    symbol       TEXT    NOT NULL,
    side         TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    kind         TEXT    NOT NULL CHECK (kind IN ('market', 'limit', 'stop', 'stop_limit', 'trailing_stop')),
    size         TEXT    NOT NULL,
    size_unit    TEXT    NOT NULL CHECK (size_unit IN ('quantity', 'notional')),
    limit_price  TEXT,
    stop_price   TEXT,
    tif          TEXT    NOT NULL CHECK (tif IN ('day', 'gtc', 'ioc', 'fok')),
    reduce_only  INTEGER NOT NULL CHECK (reduce_only IN (0, 1)),
    reason       TEXT    NOT NULL,
    request_json TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    created_ns   INTEGER NOT NULL,
    created      TEXT    NOT NULL,
    updated_ns   INTEGER NOT NULL
);
CREATE INDEX orders_strategy ON orders(strategy);

CREATE TABLE order_events (
    seq       INTEGER PRIMARY KEY REFERENCES entries(seq),
    client_id TEXT    NOT NULL,
    event     TEXT    NOT NULL CHECK (event IN ('accepted', 'rejected', 'filled', 'cancel_requested', 'cancel_rejected', 'canceled', 'expired')),
    time_ns   INTEGER NOT NULL,
    time      TEXT    NOT NULL,
    symbol    TEXT    NOT NULL,
    side      TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    strategy  TEXT    NOT NULL,
    demo      INTEGER NOT NULL CHECK (demo IN (0, 1)),
    json      TEXT    NOT NULL
);
CREATE INDEX order_events_client_id ON order_events(client_id);

CREATE TABLE fills (
    seq             INTEGER PRIMARY KEY REFERENCES order_events(seq),
    id              TEXT    NOT NULL,
    client_order_id TEXT    NOT NULL,
    symbol          TEXT    NOT NULL,
    side            TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    status          TEXT    NOT NULL CHECK (status IN ('filled', 'partially_filled')),
    price           TEXT    NOT NULL,
    quantity        TEXT    NOT NULL,
    fee             TEXT    NOT NULL,
    liquidity       TEXT    NOT NULL CHECK (liquidity IN ('maker', 'taker')),
    quote_quantity  TEXT    NOT NULL,
    leaves          TEXT    NOT NULL,
    time_ns         INTEGER NOT NULL,
    time            TEXT    NOT NULL,
    demo            INTEGER NOT NULL CHECK (demo IN (0, 1)),
    strategy        TEXT    NOT NULL,
    UNIQUE (client_order_id, id)
);
CREATE INDEX fills_strategy ON fills(strategy);

CREATE TABLE signals (
    seq        INTEGER PRIMARY KEY REFERENCES entries(seq),
    strategy   TEXT    NOT NULL,
    ticker     TEXT    NOT NULL,
    signal     TEXT    NOT NULL CHECK (signal IN ('BUY', 'SELL', 'HOLD')),
    confidence INTEGER NOT NULL CHECK (confidence BETWEEN 0 AND 255),
    buy_votes  INTEGER NOT NULL,
    sell_votes INTEGER NOT NULL,
    price      REAL,
    reasons    TEXT    NOT NULL,
    indicators TEXT    NOT NULL,
    time_ns    INTEGER NOT NULL,
    time       TEXT    NOT NULL
);
CREATE INDEX signals_ticker ON signals(ticker, time_ns);

CREATE TABLE events (
    seq     INTEGER PRIMARY KEY REFERENCES entries(seq),
    kind    TEXT    NOT NULL,
    time_ns INTEGER NOT NULL,
    time    TEXT    NOT NULL,
    json    TEXT    NOT NULL
);
CREATE INDEX events_kind ON events(kind);

CREATE TABLE snapshots (
    seq     INTEGER PRIMARY KEY REFERENCES entries(seq),
    time_ns INTEGER NOT NULL,
    time    TEXT    NOT NULL,
    cursor  TEXT    NOT NULL,
    state   TEXT    NOT NULL
);
