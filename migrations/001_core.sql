-- autorec store, version 1: users, items, ratings, the model registry, stored top-N lists,
-- embeddings, clusters, evaluation runs and job runs. External ids are text (real systems use UUIDs).

CREATE TABLE users (
    id          bigserial PRIMARY KEY,
    external_id text NOT NULL UNIQUE,
    attributes  jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE items (
    id          bigserial PRIMARY KEY,
    external_id text NOT NULL UNIQUE,
    title       text,
    genres      text[] NOT NULL DEFAULT '{}',
    attributes  jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE ratings (
    user_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item_id  bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    rating   real NOT NULL CHECK (rating = rating AND rating > '-Infinity' AND rating < 'Infinity'),
    rated_at timestamptz,
    PRIMARY KEY (user_id, item_id)
);
CREATE INDEX ratings_item ON ratings (item_id);

CREATE TABLE models (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,
    task            text NOT NULL DEFAULT 'default',
    status          text NOT NULL DEFAULT 'candidate' CHECK (status IN ('candidate', 'active', 'retired')),
    hyperparameters jsonb NOT NULL DEFAULT '{}',
    metrics         jsonb NOT NULL DEFAULT '{}',
    rating_count    bigint,
    newest_rating   timestamptz,
    artifact        bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    activated_at    timestamptz
);
-- Exactly one active model per task.
CREATE UNIQUE INDEX models_one_active ON models (task) WHERE status = 'active';

CREATE TABLE recommendations (
    model_id bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    user_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rank     integer NOT NULL CHECK (rank >= 1),
    item_id  bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    score    real NOT NULL,
    PRIMARY KEY (model_id, user_id, rank)
);

CREATE TABLE item_embeddings (
    model_id  bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    item_id   bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    embedding real[] NOT NULL,
    PRIMARY KEY (model_id, item_id)
);

CREATE TABLE clusters (
    model_id bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    item_id  bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    cluster  integer NOT NULL,
    PRIMARY KEY (model_id, item_id)
);

CREATE TABLE evaluations (
    id         bigserial PRIMARY KEY,
    model_id   bigint REFERENCES models (id) ON DELETE CASCADE,
    protocol   text NOT NULL,
    metrics    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE job_runs (
    id          bigserial PRIMARY KEY,
    job         text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    steps       jsonb NOT NULL DEFAULT '{}',
    metrics     jsonb NOT NULL DEFAULT '{}',
    decision    text,
    error       text
);
