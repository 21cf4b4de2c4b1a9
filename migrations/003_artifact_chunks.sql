-- autorec store, version 3: model files stored in chunks. PostgreSQL limits one value to 1 GB, and
-- an I-AutoRec file passes that at about a million users (2 x users x hidden floats, plus its
-- training ratings). Models registered from now on keep models.artifact NULL and their bytes in
-- 16 MB chunks here; older rows keep theirs in models.artifact and load as before.
CREATE TABLE model_artifacts (
    model_id bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    chunk    integer NOT NULL CHECK (chunk >= 0),
    bytes    bytea NOT NULL,
    PRIMARY KEY (model_id, chunk)
);
-- Weights do not compress: store the chunks out of line without trying.
ALTER TABLE model_artifacts ALTER COLUMN bytes SET STORAGE EXTERNAL;
ALTER TABLE models ALTER COLUMN artifact DROP NOT NULL;
