-- Petitions (信访) and the modules after them keep their own fields of a case as JSON (category
-- labels, group size, first receiver, the petitioner's tracking code hash, rating, recusals …),
-- checked by the module's code; what is counted has its own column.
ALTER TABLE cases ADD COLUMN details TEXT;
-- The earlier case of the same person on the same matter (重复信访): counted by the repeat rate.
ALTER TABLE cases ADD COLUMN repeat_of BIGINT REFERENCES cases(id);
-- A keyed hash of a party's ID number (or phone), so that the same person's cases can be found
-- without decrypting anyone's personal data (blind index).
ALTER TABLE case_parties ADD COLUMN person_key TEXT;
CREATE INDEX case_parties_person ON case_parties(person_key) WHERE person_key IS NOT NULL;
