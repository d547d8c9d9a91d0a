-- A PostgreSQL schema made by govauto 4987587 (the 0.3.0 release: jobs, job_events, job_artifacts, review_tasks): open_store() then a few jobs.
-- Made with: pg_dump --schema-only/--data-only --inserts --no-owner --no-privileges; schema name, SET lines and psql meta-commands removed.

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

ALTER TABLE ONLY job_artifacts ALTER COLUMN id SET DEFAULT nextval('job_artifacts_id_seq'::regclass);

ALTER TABLE ONLY job_events ALTER COLUMN id SET DEFAULT nextval('job_events_id_seq'::regclass);

INSERT INTO job_events VALUES (1, 'J66124e2082a2a858269', '2026-11-26 02:41:39.166754+00', 'submitted', 0, '{"key":"C-2026-0001:legacy_portal.establish","robot":"legacy_portal.establish","target":"amr-portal","priority":0,"max_attempts":3}');
INSERT INTO job_events VALUES (2, 'J66124e2082a2a858269', '2026-11-26 02:41:39.176562+00', 'leased', 1, '{"worker":"w-1","lease_expires_at":"2026-11-26T02:46:39.176562+00:00","submit_uncertain":false}');
INSERT INTO job_events VALUES (3, 'J66124e2082a2a858269', '2026-11-26 02:41:39.190276+00', 'succeeded', 1, '{"receipt":"GS-0001","reconciled":false,"worker":"w-1","result":"succeeded"}');
INSERT INTO job_events VALUES (4, 'J66124e208b01ff0ce93', '2026-11-26 02:41:39.201049+00', 'submitted', 0, '{"key":"C-2026-0002:legacy_portal.establish","robot":"legacy_portal.establish","target":"amr-portal","priority":0,"max_attempts":3}');
INSERT INTO job_events VALUES (5, 'J66124e208b01ff0ce93', '2026-11-26 02:41:39.204537+00', 'leased', 1, '{"worker":"w-1","lease_expires_at":"2026-11-26T02:46:39.204537+00:00","submit_uncertain":false}');
INSERT INTO job_events VALUES (6, 'J66124e208b01ff0ce93', '2026-11-26 02:41:39.211684+00', 'needs_review', 1, '{"review_task":"R66124e208def1cfeacc","worker":"w-1","result":"needs_review","error_kind":"business_error","message":"地址不规范"}');
INSERT INTO job_events VALUES (7, 'J66124e208ef3a37b139', '2026-11-26 02:41:39.217205+00', 'submitted', 0, '{"key":"C-2026-0003:legacy_portal.establish","robot":"legacy_portal.establish","target":"amr-portal","priority":0,"max_attempts":3}');

INSERT INTO jobs VALUES ('J66124e2082a2a858269', 'C-2026-0001:legacy_portal.establish', 'legacy_portal.establish', 'amr-portal', 'C-2026-0001', '{"case":{"case_id":"C-2026-0001"}}', 'succeeded', 0, 1, 3, false, 'GS-0001', false, NULL, NULL, '2026-11-26 02:41:39.166754+00', '2026-11-26 02:41:39.190276+00', '2026-11-26 02:41:39.176562+00', '2026-11-26 02:41:39.190276+00', NULL, NULL, NULL, false);
INSERT INTO jobs VALUES ('J66124e208b01ff0ce93', 'C-2026-0002:legacy_portal.establish', 'legacy_portal.establish', 'amr-portal', 'C-2026-0002', '{"case":{"case_id":"C-2026-0002"}}', 'needs_review', 0, 1, 3, false, NULL, false, 'business_error', '地址不规范', '2026-11-26 02:41:39.201049+00', '2026-11-26 02:41:39.211684+00', '2026-11-26 02:41:39.204537+00', '2026-11-26 02:41:39.211684+00', NULL, NULL, NULL, false);
INSERT INTO jobs VALUES ('J66124e208ef3a37b139', 'C-2026-0003:legacy_portal.establish', 'legacy_portal.establish', 'amr-portal', 'C-2026-0003', '{"case":{"case_id":"C-2026-0003"}}', 'queued', 0, 0, 3, false, NULL, false, NULL, NULL, '2026-11-26 02:41:39.217205+00', '2026-11-26 02:41:39.217205+00', NULL, NULL, NULL, NULL, NULL, false);

INSERT INTO review_tasks VALUES ('R66124e208def1cfeacc', 'C-2026-0002', 'J66124e208b01ff0ce93', 'robot', 'robot.business_error', '地址不规范', '{"robot":"legacy_portal.establish","target":"amr-portal","attempt":1,"error_kind":"business_error","submit_uncertain":false,"artifacts":[]}', 'open', '2026-11-26 02:41:39.211684+00');

SELECT pg_catalog.setval('job_artifacts_id_seq', 1, false);

SELECT pg_catalog.setval('job_events_id_seq', 7, true);

ALTER TABLE ONLY job_artifacts
    ADD CONSTRAINT pk_job_artifacts PRIMARY KEY (id);

ALTER TABLE ONLY job_events
    ADD CONSTRAINT pk_job_events PRIMARY KEY (id);

ALTER TABLE ONLY jobs
    ADD CONSTRAINT pk_jobs PRIMARY KEY (id);

ALTER TABLE ONLY review_tasks
    ADD CONSTRAINT pk_review_tasks PRIMARY KEY (id);

ALTER TABLE ONLY jobs
    ADD CONSTRAINT uq_jobs_key UNIQUE (key);

CREATE INDEX ix_job_artifacts_job_id ON job_artifacts USING btree (job_id);

CREATE INDEX ix_job_events_job_id ON job_events USING btree (job_id);

CREATE INDEX ix_jobs_case_id ON jobs USING btree (case_id);

CREATE INDEX ix_jobs_status_priority ON jobs USING btree (status, priority, created_at);

CREATE INDEX ix_jobs_target_status ON jobs USING btree (target, status);

CREATE INDEX ix_review_tasks_case_id ON review_tasks USING btree (case_id);

CREATE INDEX ix_review_tasks_job_id ON review_tasks USING btree (job_id);

ALTER TABLE ONLY job_artifacts
    ADD CONSTRAINT fk_job_artifacts_job_id_jobs FOREIGN KEY (job_id) REFERENCES jobs(id);

ALTER TABLE ONLY job_events
    ADD CONSTRAINT fk_job_events_job_id_jobs FOREIGN KEY (job_id) REFERENCES jobs(id);

ALTER TABLE ONLY review_tasks
    ADD CONSTRAINT fk_review_tasks_job_id_jobs FOREIGN KEY (job_id) REFERENCES jobs(id);

