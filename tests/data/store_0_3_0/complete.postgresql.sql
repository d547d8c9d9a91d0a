-- A PostgreSQL schema made by govauto 9d1211e (0.3.0 with the audit trail and casework tables, before migrations): open_store() then a few jobs and an audit record.
-- Made with: pg_dump --schema-only/--data-only --inserts --no-owner --no-privileges; schema name, SET lines and psql meta-commands removed.

CREATE TABLE audit_records (
    seq integer NOT NULL,
    id character varying(32) NOT NULL,
    case_id character varying(100),
    case_version integer,
    at timestamp with time zone NOT NULL,
    actor character varying(200) NOT NULL,
    action character varying(100) NOT NULL,
    detail text NOT NULL,
    prev_hash character varying(64) NOT NULL,
    hash character varying(64) NOT NULL
);

COMMENT ON TABLE audit_records IS 'append-only, hash-chained audit trail of every step of every case';

COMMENT ON COLUMN audit_records.seq IS 'the chain order: 1, 2, 3 ... assigned under the write lock';

COMMENT ON COLUMN audit_records.id IS 'A + time-ordered hex';

COMMENT ON COLUMN audit_records.case_id IS 'null for system events';

COMMENT ON COLUMN audit_records.case_version IS 'the case''s version the step worked on, when it has one';

COMMENT ON COLUMN audit_records.actor IS 'kind:name, e.g. user:zhang, robot:legacy_portal.establish';

COMMENT ON COLUMN audit_records.action IS 'dotted lower-case id, e.g. review, robot_receipt';

COMMENT ON COLUMN audit_records.detail IS 'the facts the step used and produced (JSON object)';

COMMENT ON COLUMN audit_records.prev_hash IS 'hash of the record with seq - 1; 64 zeros for seq 1';

COMMENT ON COLUMN audit_records.hash IS 'SHA-256 (hex) of the canonical form of the other columns';

CREATE TABLE case_events (
    id integer NOT NULL,
    case_id character varying(100) NOT NULL,
    version integer NOT NULL,
    ts timestamp with time zone NOT NULL,
    actor character varying(200) NOT NULL,
    event character varying(64) NOT NULL,
    detail text NOT NULL
);

COMMENT ON TABLE case_events IS 'append-only history of case versions'' status changes';

COMMENT ON COLUMN case_events.event IS 'intake | outcome | superseded';

CREATE SEQUENCE case_events_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE case_events_id_seq OWNED BY case_events.id;

CREATE TABLE case_versions (
    case_id character varying(100) NOT NULL,
    version integer NOT NULL,
    matter character varying(100) NOT NULL,
    status character varying(20) NOT NULL,
    case_data text NOT NULL,
    base_dir text NOT NULL,
    extractions text NOT NULL,
    machine_decision text NOT NULL,
    machine_outcome character varying(20) NOT NULL,
    final_decision text,
    created_by character varying(200) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

COMMENT ON TABLE case_versions IS 'every version of every case; never deleted';

COMMENT ON COLUMN case_versions.version IS '1, 2, 3 ... per case';

COMMENT ON COLUMN case_versions.status IS 'approved | referred | correcting | rejected | closed | superseded';

COMMENT ON COLUMN case_versions.case_data IS 'the validated case (its JSON form)';

COMMENT ON COLUMN case_versions.base_dir IS 'where the case''s relative material paths start';

COMMENT ON COLUMN case_versions.extractions IS 'per material: document type, fields, provenance';

COMMENT ON COLUMN case_versions.machine_decision IS 'Decision.to_dict() of the machine review';

COMMENT ON COLUMN case_versions.final_decision IS 'outcome, who decided and when; null until decided';

CREATE TABLE job_artifacts (
    id integer NOT NULL,
    job_id character varying(32) NOT NULL,
    attempt integer NOT NULL,
    kind character varying(20) NOT NULL,
    path text NOT NULL,
    bytes integer,
    created_at timestamp with time zone NOT NULL
);

COMMENT ON COLUMN job_artifacts.kind IS 'screenshot | html | trace | log | other';

CREATE SEQUENCE job_artifacts_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE job_artifacts_id_seq OWNED BY job_artifacts.id;

CREATE TABLE job_events (
    id integer NOT NULL,
    job_id character varying(32) NOT NULL,
    ts timestamp with time zone NOT NULL,
    event character varying(64) NOT NULL,
    attempt integer NOT NULL,
    detail text NOT NULL
);

COMMENT ON TABLE job_events IS 'append-only history of every job';

CREATE SEQUENCE job_events_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE job_events_id_seq OWNED BY job_events.id;

CREATE TABLE jobs (
    id character varying(32) NOT NULL,
    key character varying(255) NOT NULL,
    robot character varying(100) NOT NULL,
    target character varying(100) NOT NULL,
    case_id character varying(100) NOT NULL,
    payload text NOT NULL,
    status character varying(20) NOT NULL,
    priority integer NOT NULL,
    attempts integer NOT NULL,
    max_attempts integer NOT NULL,
    submit_uncertain boolean NOT NULL,
    receipt character varying(255),
    reconciled boolean NOT NULL,
    error_kind character varying(100),
    error_message text,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    not_before timestamp with time zone,
    lease_owner character varying(200),
    lease_expires_at timestamp with time zone,
    cancel_requested boolean NOT NULL
);

COMMENT ON COLUMN jobs.id IS 'J + time-ordered hex: sorts by creation';

COMMENT ON COLUMN jobs.key IS 'idempotency key: one job per key, ever';

COMMENT ON COLUMN jobs.target IS 'the target system: the concurrency group';

COMMENT ON COLUMN jobs.submit_uncertain IS 'a submission may have reached the target: the next attempt reconciles first';

CREATE TABLE review_task_details (
    task_id character varying(32) NOT NULL,
    case_version integer,
    matter character varying(100),
    group_name character varying(100) NOT NULL,
    state character varying(30) NOT NULL,
    priority integer NOT NULL,
    assignee character varying(64),
    due_at timestamp with time zone,
    sensitive boolean NOT NULL,
    escalated boolean NOT NULL,
    reasons text NOT NULL,
    findings text NOT NULL,
    machine_outcome character varying(20),
    decision text,
    decided_by character varying(64),
    decided_at timestamp with time zone,
    confirmed_by character varying(64),
    confirmed_at timestamp with time zone,
    updated_at timestamp with time zone NOT NULL
);

COMMENT ON TABLE review_task_details IS 'the review queue''s part of a review task (1:1 with review_tasks)';

COMMENT ON COLUMN review_task_details.case_version IS 'null for a robot''s task (it concerns the case, not one version)';

COMMENT ON COLUMN review_task_details.group_name IS 'the reviewers'' group that handles the task';

COMMENT ON COLUMN review_task_details.state IS 'open | claimed | assigned | awaiting_confirmation | decided (review_tasks.status: closed)';

COMMENT ON COLUMN review_task_details.priority IS 'higher first';

COMMENT ON COLUMN review_task_details.due_at IS 'end of the last working day of the time limit';

COMMENT ON COLUMN review_task_details.sensitive IS 'every decision needs four-eyes';

COMMENT ON COLUMN review_task_details.reasons IS 'rule ids, extraction.low_confidence, robot.<kind>';

COMMENT ON COLUMN review_task_details.findings IS 'the machine''s findings, JSON contract';

COMMENT ON COLUMN review_task_details.decision IS 'the reviewer''s decision (HumanDecision), once made';

CREATE TABLE review_tasks (
    id character varying(32) NOT NULL,
    case_id character varying(100) NOT NULL,
    job_id character varying(32),
    source character varying(50) NOT NULL,
    reason character varying(100) NOT NULL,
    message text NOT NULL,
    detail text NOT NULL,
    status character varying(20) NOT NULL,
    created_at timestamp with time zone NOT NULL
);

COMMENT ON COLUMN review_tasks.id IS 'R + time-ordered hex';

COMMENT ON COLUMN review_tasks.source IS 'who asked for a person, e.g. "robot"';

COMMENT ON COLUMN review_tasks.reason IS 'e.g. "robot.business_error"';

COMMENT ON COLUMN review_tasks.status IS 'open | closed';

CREATE TABLE task_events (
    id integer NOT NULL,
    task_id character varying(32) NOT NULL,
    ts timestamp with time zone NOT NULL,
    actor character varying(200) NOT NULL,
    event character varying(64) NOT NULL,
    detail text NOT NULL
);

COMMENT ON TABLE task_events IS 'append-only history of every review-task transition';

COMMENT ON COLUMN task_events.actor IS 'a user name, or system';

CREATE SEQUENCE task_events_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE task_events_id_seq OWNED BY task_events.id;

CREATE TABLE user_groups (
    username character varying(64) NOT NULL,
    group_name character varying(100) NOT NULL
);

CREATE TABLE users (
    username character varying(64) NOT NULL,
    display_name character varying(200) NOT NULL,
    role character varying(20) NOT NULL,
    password_hash text NOT NULL,
    active boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    password_changed_at timestamp with time zone NOT NULL
);

COMMENT ON COLUMN users.username IS 'lower case';

COMMENT ON COLUMN users.role IS 'reviewer | supervisor | admin';

COMMENT ON COLUMN users.password_hash IS 'argon2id (PHC string); never a password';

ALTER TABLE ONLY case_events ALTER COLUMN id SET DEFAULT nextval('case_events_id_seq'::regclass);

ALTER TABLE ONLY job_artifacts ALTER COLUMN id SET DEFAULT nextval('job_artifacts_id_seq'::regclass);

ALTER TABLE ONLY job_events ALTER COLUMN id SET DEFAULT nextval('job_events_id_seq'::regclass);

ALTER TABLE ONLY task_events ALTER COLUMN id SET DEFAULT nextval('task_events_id_seq'::regclass);

INSERT INTO audit_records VALUES (1, 'A66124e21cf195cdfac8', 'C-2026-0001', NULL, '2026-11-26 02:41:40.525775+00', 'robot:legacy_portal.establish', 'robot_receipt', '{"job":"J66124e21cc0ec7cefc7","receipt":"GS-0001","reconciled":false,"target":"amr-portal"}', '0000000000000000000000000000000000000000000000000000000000000000', '6afc5a52b0e5a4d1ffb61d6e9db76a01b61227af6f98c121b80768f5f4f02e63');
INSERT INTO audit_records VALUES (2, 'A66124e21d1611e8faf0', 'C-2026-0002', NULL, '2026-11-26 02:41:40.535039+00', 'robot:legacy_portal.establish', 'robot_failed', '{"job":"J66124e21cfa597c1fb1","status":"needs_review","error_kind":"business_error","message":"地址不规范","target":"amr-portal"}', '6afc5a52b0e5a4d1ffb61d6e9db76a01b61227af6f98c121b80768f5f4f02e63', '6204841be1ad5b2cad500dfe3f4e359b40d559809e05dc3149b17cec4acf7ad6');
INSERT INTO audit_records VALUES (3, 'A66124e21d241112673c', 'C-2026-0003', NULL, '2026-11-26 02:41:40.541033+00', 'system:legacy-fixture', 'intake', '{"source":"test"}', '6204841be1ad5b2cad500dfe3f4e359b40d559809e05dc3149b17cec4acf7ad6', 'ace686d4802b99ede5f9c5fd4b2c66fb6b588e31522c51c0049ca95ecb3f4621');

INSERT INTO job_events VALUES (1, 'J66124e21cc0ec7cefc7', '2026-11-26 02:41:40.516067+00', 'submitted', 0, '{"key":"C-2026-0001:legacy_portal.establish","robot":"legacy_portal.establish","target":"amr-portal","priority":0,"max_attempts":3}');
INSERT INTO job_events VALUES (2, 'J66124e21cc0ec7cefc7', '2026-11-26 02:41:40.521046+00', 'leased', 1, '{"worker":"w-1","lease_expires_at":"2026-11-26T02:46:40.521046+00:00","submit_uncertain":false}');
INSERT INTO job_events VALUES (3, 'J66124e21cc0ec7cefc7', '2026-11-26 02:41:40.525775+00', 'succeeded', 1, '{"receipt":"GS-0001","reconciled":false,"worker":"w-1","result":"succeeded"}');
INSERT INTO job_events VALUES (4, 'J66124e21cfa597c1fb1', '2026-11-26 02:41:40.530775+00', 'submitted', 0, '{"key":"C-2026-0002:legacy_portal.establish","robot":"legacy_portal.establish","target":"amr-portal","priority":0,"max_attempts":3}');
INSERT INTO job_events VALUES (5, 'J66124e21cfa597c1fb1', '2026-11-26 02:41:40.532414+00', 'leased', 1, '{"worker":"w-1","lease_expires_at":"2026-11-26T02:46:40.532414+00:00","submit_uncertain":false}');
INSERT INTO job_events VALUES (6, 'J66124e21cfa597c1fb1', '2026-11-26 02:41:40.535039+00', 'needs_review', 1, '{"review_task":"R66124e21d0cc11059af","worker":"w-1","result":"needs_review","error_kind":"business_error","message":"地址不规范"}');
INSERT INTO job_events VALUES (7, 'J66124e21d1c7f813f05', '2026-11-26 02:41:40.539517+00', 'submitted', 0, '{"key":"C-2026-0003:legacy_portal.establish","robot":"legacy_portal.establish","target":"amr-portal","priority":0,"max_attempts":3}');

INSERT INTO jobs VALUES ('J66124e21cc0ec7cefc7', 'C-2026-0001:legacy_portal.establish', 'legacy_portal.establish', 'amr-portal', 'C-2026-0001', '{"case":{"case_id":"C-2026-0001"}}', 'succeeded', 0, 1, 3, false, 'GS-0001', false, NULL, NULL, '2026-11-26 02:41:40.516067+00', '2026-11-26 02:41:40.525775+00', '2026-11-26 02:41:40.521046+00', '2026-11-26 02:41:40.525775+00', NULL, NULL, NULL, false);
INSERT INTO jobs VALUES ('J66124e21cfa597c1fb1', 'C-2026-0002:legacy_portal.establish', 'legacy_portal.establish', 'amr-portal', 'C-2026-0002', '{"case":{"case_id":"C-2026-0002"}}', 'needs_review', 0, 1, 3, false, NULL, false, 'business_error', '地址不规范', '2026-11-26 02:41:40.530775+00', '2026-11-26 02:41:40.535039+00', '2026-11-26 02:41:40.532414+00', '2026-11-26 02:41:40.535039+00', NULL, NULL, NULL, false);
INSERT INTO jobs VALUES ('J66124e21d1c7f813f05', 'C-2026-0003:legacy_portal.establish', 'legacy_portal.establish', 'amr-portal', 'C-2026-0003', '{"case":{"case_id":"C-2026-0003"}}', 'queued', 0, 0, 3, false, NULL, false, NULL, NULL, '2026-11-26 02:41:40.539517+00', '2026-11-26 02:41:40.539517+00', NULL, NULL, NULL, NULL, NULL, false);

INSERT INTO review_tasks VALUES ('R66124e21d0cc11059af', 'C-2026-0002', 'J66124e21cfa597c1fb1', 'robot', 'robot.business_error', '地址不规范', '{"robot":"legacy_portal.establish","target":"amr-portal","attempt":1,"error_kind":"business_error","group":null,"submit_uncertain":false,"artifacts":[]}', 'open', '2026-11-26 02:41:40.535039+00');

SELECT pg_catalog.setval('case_events_id_seq', 1, false);

SELECT pg_catalog.setval('job_artifacts_id_seq', 1, false);

SELECT pg_catalog.setval('job_events_id_seq', 7, true);

SELECT pg_catalog.setval('task_events_id_seq', 1, false);

ALTER TABLE ONLY audit_records
    ADD CONSTRAINT pk_audit_records PRIMARY KEY (seq);

ALTER TABLE ONLY case_events
    ADD CONSTRAINT pk_case_events PRIMARY KEY (id);

ALTER TABLE ONLY case_versions
    ADD CONSTRAINT pk_case_versions PRIMARY KEY (case_id, version);

ALTER TABLE ONLY job_artifacts
    ADD CONSTRAINT pk_job_artifacts PRIMARY KEY (id);

ALTER TABLE ONLY job_events
    ADD CONSTRAINT pk_job_events PRIMARY KEY (id);

ALTER TABLE ONLY jobs
    ADD CONSTRAINT pk_jobs PRIMARY KEY (id);

ALTER TABLE ONLY review_task_details
    ADD CONSTRAINT pk_review_task_details PRIMARY KEY (task_id);

ALTER TABLE ONLY review_tasks
    ADD CONSTRAINT pk_review_tasks PRIMARY KEY (id);

ALTER TABLE ONLY task_events
    ADD CONSTRAINT pk_task_events PRIMARY KEY (id);

ALTER TABLE ONLY user_groups
    ADD CONSTRAINT pk_user_groups PRIMARY KEY (username, group_name);

ALTER TABLE ONLY users
    ADD CONSTRAINT pk_users PRIMARY KEY (username);

ALTER TABLE ONLY audit_records
    ADD CONSTRAINT uq_audit_records_id UNIQUE (id);

ALTER TABLE ONLY jobs
    ADD CONSTRAINT uq_jobs_key UNIQUE (key);

CREATE INDEX ix_audit_records_case_id_seq ON audit_records USING btree (case_id, seq);

CREATE INDEX ix_case_events_case_id ON case_events USING btree (case_id);

CREATE INDEX ix_case_versions_matter ON case_versions USING btree (matter);

CREATE INDEX ix_case_versions_status ON case_versions USING btree (status);

CREATE INDEX ix_job_artifacts_job_id ON job_artifacts USING btree (job_id);

CREATE INDEX ix_job_events_job_id ON job_events USING btree (job_id);

CREATE INDEX ix_jobs_case_id ON jobs USING btree (case_id);

CREATE INDEX ix_jobs_status_priority ON jobs USING btree (status, priority, created_at);

CREATE INDEX ix_jobs_target_status ON jobs USING btree (target, status);

CREATE INDEX ix_review_task_details_assignee ON review_task_details USING btree (assignee);

CREATE INDEX ix_review_task_details_due_at ON review_task_details USING btree (due_at);

CREATE INDEX ix_review_task_details_state ON review_task_details USING btree (state, group_name);

CREATE INDEX ix_review_tasks_case_id ON review_tasks USING btree (case_id);

CREATE INDEX ix_review_tasks_job_id ON review_tasks USING btree (job_id);

CREATE INDEX ix_task_events_task_id ON task_events USING btree (task_id);

CREATE INDEX ix_user_groups_group_name ON user_groups USING btree (group_name);

ALTER TABLE ONLY job_artifacts
    ADD CONSTRAINT fk_job_artifacts_job_id_jobs FOREIGN KEY (job_id) REFERENCES jobs(id);

ALTER TABLE ONLY job_events
    ADD CONSTRAINT fk_job_events_job_id_jobs FOREIGN KEY (job_id) REFERENCES jobs(id);

ALTER TABLE ONLY review_task_details
    ADD CONSTRAINT fk_review_task_details_task_id_review_tasks FOREIGN KEY (task_id) REFERENCES review_tasks(id);

ALTER TABLE ONLY review_tasks
    ADD CONSTRAINT fk_review_tasks_job_id_jobs FOREIGN KEY (job_id) REFERENCES jobs(id);

ALTER TABLE ONLY task_events
    ADD CONSTRAINT fk_task_events_task_id_review_tasks FOREIGN KEY (task_id) REFERENCES review_tasks(id);

ALTER TABLE ONLY user_groups
    ADD CONSTRAINT fk_user_groups_username_users FOREIGN KEY (username) REFERENCES users(username);

