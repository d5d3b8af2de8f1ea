-- Cases of one category over a time range: the duplicate check at intake and the
-- assessment by category.
CREATE INDEX cases_category ON cases(category, created_at, id);
