-- The organisation registry: the organisations a deployment knows, so a token, a pathway or a
-- command can name only a registered one (issue 11). Why a registry at all: an organisation id is
-- what access is decided on (an agency's parties, a case worker's coordinator organisation); an id
-- nobody registered is a typo or an attempt to act as an organisation that does not exist.
-- Why `template_id` and `roles`: an organisation plays one or more agency roles of a
-- jurisdiction template (domain/templates/*.json, agencies[].role); auditors' and operators'
-- organisations play none and have no template.
-- Why `active` instead of deleting: pathways, tokens and the access log name these ids for ever;
-- a removed organisation is marked inactive so history still resolves, and it can no longer be
-- named by a new token, pathway or command, nor authenticate.

CREATE TABLE api.organisations (
    org_id text PRIMARY KEY CHECK (org_id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    template_id text CHECK (template_id ~ '^[a-z0-9_-]{1,32}$'),
    roles text[] NOT NULL DEFAULT '{}',
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    removed_at timestamptz,
    -- Why: "removed" and "inactive" are one fact; two columns that could disagree would not be.
    CHECK (active = (removed_at IS NULL))
);

-- Why a trigger: the ids are history (see above); no role, the owner included, deletes one.
CREATE TRIGGER organisations_never_deleted
    BEFORE DELETE OR TRUNCATE ON api.organisations
    FOR EACH STATEMENT EXECUTE FUNCTION api.refuse_rewrite();

-- Why: a deployment upgraded to this version already has tokens; their organisations are
-- registered (under their id as name) so that every token in use keeps working. The operator
-- renames or removes them with `pathways admin org`.
INSERT INTO api.organisations (org_id, display_name)
SELECT DISTINCT organisation_id, organisation_id FROM api.tokens
WHERE organisation_id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'
ON CONFLICT DO NOTHING;

-- Every attempt in the access log (issue 11): refused requests are logged too, with their HTTP
-- status and the error code. Why nullable principal columns: a request refused before its token
-- was checked (401 without a valid token; a body that is not JSON, or a method the route does
-- not have, answered before authentication) has no known principal, and NULL says so where a
-- made-up name could be mistaken for one.
ALTER TABLE api.access_log
    ADD COLUMN status integer CHECK (status BETWEEN 100 AND 599),
    ADD COLUMN reason text CHECK (length(reason) <= 64),
    ALTER COLUMN principal_id DROP NOT NULL,
    ALTER COLUMN role DROP NOT NULL,
    ALTER COLUMN organisation_id DROP NOT NULL,
    ALTER COLUMN subject_id DROP NOT NULL,
    ALTER COLUMN purpose DROP NOT NULL;

-- Least privilege (see 0004): the application reads the registry and the CLI manages it through
-- the application role; nobody may delete (the trigger above refuses it anyway).
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pathways_app') THEN
        GRANT SELECT, INSERT, UPDATE ON api.organisations TO pathways_app;
    END IF;
END;
$$;
