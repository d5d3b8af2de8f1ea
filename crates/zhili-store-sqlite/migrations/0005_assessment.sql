-- What the 数字城管 assessment (综合评价, RULES.md §3.6) counts, kept from each case's clocks:
-- first 派遣, last 处置反馈 and whether every 处置 was on time, and how often it was parked.
ALTER TABLE cases ADD COLUMN dispatched_at INTEGER;
ALTER TABLE cases ADD COLUMN handled_at INTEGER;
ALTER TABLE cases ADD COLUMN handled_on_time BOOLEAN;
ALTER TABLE cases ADD COLUMN pauses INTEGER NOT NULL DEFAULT 0;
-- A duplicate report merged into the case that handles the matter (合并): counted once.
ALTER TABLE cases ADD COLUMN merged_into INTEGER REFERENCES cases(id);
-- The assessment reads one kind over a period: every column it counts is in the index, so a
-- year is read from the index alone, not from the wide case rows.
CREATE INDEX cases_assessment ON cases(kind, created_at, merged_into, node_path, department_id, village_id,
    node_id, category, created_month, registered_at, closed_at, ended_at, overall_due_at,
    closed_on_time, dispatched_at, handled_at, handled_on_time, reworks, returns, pauses);
