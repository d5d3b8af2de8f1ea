-- Links between cases: duplicate-of, repeat-of, parent/child, related.
CREATE TABLE case_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    other_case_id INTEGER NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    UNIQUE (case_id, other_case_id, kind),
    CHECK (case_id <> other_case_id)
);
CREATE INDEX case_links_other ON case_links(other_case_id);
