-- Local working mechanisms over cases (RULES.md §1.4): the leader who took personal charge of a
-- case (领导包案) until the closure report, by when; and the tag-and-close ledger (挂牌销号): a
-- case ever listed, and by when it was to be taken off (销号 is in the details). Plans, reports and criteria are in cases.details.
ALTER TABLE cases ADD COLUMN lead_id INTEGER REFERENCES users(id);
ALTER TABLE cases ADD COLUMN lead_due_at INTEGER;
ALTER TABLE cases ADD COLUMN ledger_due_at INTEGER;
CREATE INDEX cases_lead ON cases(lead_id) WHERE lead_id IS NOT NULL;
CREATE INDEX cases_ledger ON cases(ledger_due_at) WHERE ledger_due_at IS NOT NULL;
