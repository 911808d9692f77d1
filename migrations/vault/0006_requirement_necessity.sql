-- Whether the project needs a provider, as its docs put it: a sentence
-- states the need or its env var is named ('required'), it is only one
-- option among others ('optional'), or it is only named ('mentioned').
-- NULL for requirements stored before this column, until the next scan.
ALTER TABLE project_requirements ADD COLUMN necessity TEXT
    CHECK (necessity IS NULL OR necessity IN ('required', 'optional', 'mentioned'));
-- Each citation now says what its sentence claims; older ones only named.
UPDATE project_requirements SET citations_json = (
    SELECT json_group_array(json_set(value, '$.claim', 'mention')) FROM json_each(citations_json)
);
