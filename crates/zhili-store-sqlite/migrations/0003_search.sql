-- Chinese full-text search: the jieba terms of each case (title, content, address, category),
-- indexed by FTS5 over the cases table. Cases made before this migration get their terms when
-- the store opens (the terms need jieba, which SQL does not have).
ALTER TABLE cases ADD COLUMN search_terms TEXT;
CREATE VIRTUAL TABLE cases_fts USING fts5(search_terms, content = 'cases', content_rowid = 'id');
CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases WHEN new.search_terms IS NOT NULL BEGIN
    INSERT INTO cases_fts (rowid, search_terms) VALUES (new.id, new.search_terms);
END;
CREATE TRIGGER cases_fts_update AFTER UPDATE OF search_terms ON cases BEGIN
    INSERT INTO cases_fts (cases_fts, rowid, search_terms)
        SELECT 'delete', old.id, old.search_terms WHERE old.search_terms IS NOT NULL;
    INSERT INTO cases_fts (rowid, search_terms)
        SELECT new.id, new.search_terms WHERE new.search_terms IS NOT NULL;
END;
