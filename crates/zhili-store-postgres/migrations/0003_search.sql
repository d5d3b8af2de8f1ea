-- Chinese full-text search: the jieba terms of each case (title, content, address, category)
-- as a tsvector under a GIN index. The terms are already words, so the 'simple' configuration
-- only lower-cases them. Cases made before this migration get their terms when the store opens.
ALTER TABLE cases ADD COLUMN search_terms TEXT;
ALTER TABLE cases ADD COLUMN search_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_terms, ''))) STORED;
CREATE INDEX cases_search ON cases USING GIN (search_tsv);
