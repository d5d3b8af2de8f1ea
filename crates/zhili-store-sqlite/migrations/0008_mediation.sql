-- People's mediation committees (人民调解委员会, 人民调解法 第8–10条): each is a department of its
-- village or community (so its cases, grants and figures work as any department's), with its
-- term and its people: members (3–9, a chair, at least one woman) and registered mediators (备案).
CREATE TABLE mediation_committees (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    department_id INTEGER NOT NULL UNIQUE REFERENCES departments(id),
    term_start TEXT NOT NULL,
    term_end TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE mediators (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    committee_id INTEGER NOT NULL REFERENCES mediation_committees(id),
    user_id INTEGER REFERENCES users(id),
    name TEXT NOT NULL,
    gender TEXT NOT NULL,
    is_member BOOLEAN NOT NULL,
    is_chair BOOLEAN NOT NULL,
    registered_at INTEGER NOT NULL
);
CREATE INDEX mediators_committee ON mediators(committee_id);
-- 以案定补: the subsidy approved for a successful case (in fen) and when it was paid.
ALTER TABLE cases ADD COLUMN subsidy_fen INTEGER;
ALTER TABLE cases ADD COLUMN subsidy_paid_at INTEGER;
