-- A SQLite database made by govauto 9d1211e (0.3.0 with the audit trail and casework tables, before migrations): open_store() then a few jobs and an audit record.
-- Made with: sqlite3 govauto.db .dump
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE jobs (
	id VARCHAR(32) NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	robot VARCHAR(100) NOT NULL, 
	target VARCHAR(100) NOT NULL, 
	case_id VARCHAR(100) NOT NULL, 
	payload TEXT NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	priority INTEGER NOT NULL, 
	attempts INTEGER NOT NULL, 
	max_attempts INTEGER NOT NULL, 
	submit_uncertain BOOLEAN NOT NULL, 
	receipt VARCHAR(255), 
	reconciled BOOLEAN NOT NULL, 
	error_kind VARCHAR(100), 
	error_message TEXT, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	started_at DATETIME, 
	finished_at DATETIME, 
	not_before DATETIME, 
	lease_owner VARCHAR(200), 
	lease_expires_at DATETIME, 
	cancel_requested BOOLEAN NOT NULL, 
	CONSTRAINT pk_jobs PRIMARY KEY (id), 
	CONSTRAINT uq_jobs_key UNIQUE ("key")
);
INSERT INTO jobs VALUES('J66124e21431b7246415','C-2026-0001:legacy_portal.establish','legacy_portal.establish','amr-portal','C-2026-0001','{"case":{"case_id":"C-2026-0001"}}','succeeded',0,1,3,0,'GS-0001',0,NULL,NULL,'2026-11-26 02:41:39.955119','2026-11-26 02:41:39.960216','2026-11-26 02:41:39.957354','2026-11-26 02:41:39.960216',NULL,NULL,NULL,0);
INSERT INTO jobs VALUES('J66124e2144fd24f0897','C-2026-0002:legacy_portal.establish','legacy_portal.establish','amr-portal','C-2026-0002','{"case":{"case_id":"C-2026-0002"}}','needs_review',0,1,3,0,NULL,0,'business_error','地址不规范','2026-11-26 02:41:39.962831','2026-11-26 02:41:39.964616','2026-11-26 02:41:39.963567','2026-11-26 02:41:39.964616',NULL,NULL,NULL,0);
INSERT INTO jobs VALUES('J66124e2145e17db44a5','C-2026-0003:legacy_portal.establish','legacy_portal.establish','amr-portal','C-2026-0003','{"case":{"case_id":"C-2026-0003"}}','queued',0,0,3,0,NULL,0,NULL,NULL,'2026-11-26 02:41:39.966485','2026-11-26 02:41:39.966485',NULL,NULL,NULL,NULL,NULL,0);
CREATE TABLE audit_records (
	seq INTEGER NOT NULL, 
	id VARCHAR(32) NOT NULL, 
	case_id VARCHAR(100), 
	case_version INTEGER, 
	at DATETIME NOT NULL, 
	actor VARCHAR(200) NOT NULL, 
	action VARCHAR(100) NOT NULL, 
	detail TEXT NOT NULL, 
	prev_hash VARCHAR(64) NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_audit_records PRIMARY KEY (seq), 
	CONSTRAINT uq_audit_records_id UNIQUE (id)
);
INSERT INTO audit_records VALUES(1,'A66124e2144ba59a0219','C-2026-0001',NULL,'2026-11-26 02:41:39.960216','robot:legacy_portal.establish','robot_receipt','{"job":"J66124e21431b7246415","receipt":"GS-0001","reconciled":false,"target":"amr-portal"}','0000000000000000000000000000000000000000000000000000000000000000','a82f2cb825226bb39117d2d3bced38abbd91d8b6f4a57bc9430c8bf59ef5c02d');
INSERT INTO audit_records VALUES(2,'A66124e2145bec303e77','C-2026-0002',NULL,'2026-11-26 02:41:39.964616','robot:legacy_portal.establish','robot_failed','{"job":"J66124e2144fd24f0897","status":"needs_review","error_kind":"business_error","message":"地址不规范","target":"amr-portal"}','a82f2cb825226bb39117d2d3bced38abbd91d8b6f4a57bc9430c8bf59ef5c02d','7db803a8a6bcf9f630b37cfa9ee55b35cbf6dc1b2a7902dc8b15cab769f450d2');
INSERT INTO audit_records VALUES(3,'A66124e214611eb382b0','C-2026-0003',NULL,'2026-11-26 02:41:39.967142','system:legacy-fixture','intake','{"source":"test"}','7db803a8a6bcf9f630b37cfa9ee55b35cbf6dc1b2a7902dc8b15cab769f450d2','fe17e6af06c6b3c654b9232b72d8cf4c983db645fef0b2f880699627e284812c');
CREATE TABLE case_versions (
	case_id VARCHAR(100) NOT NULL, 
	version INTEGER NOT NULL, 
	matter VARCHAR(100) NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	case_data TEXT NOT NULL, 
	base_dir TEXT NOT NULL, 
	extractions TEXT NOT NULL, 
	machine_decision TEXT NOT NULL, 
	machine_outcome VARCHAR(20) NOT NULL, 
	final_decision TEXT, 
	created_by VARCHAR(200) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_case_versions PRIMARY KEY (case_id, version)
);
CREATE TABLE case_events (
	id INTEGER NOT NULL, 
	case_id VARCHAR(100) NOT NULL, 
	version INTEGER NOT NULL, 
	ts DATETIME NOT NULL, 
	actor VARCHAR(200) NOT NULL, 
	event VARCHAR(64) NOT NULL, 
	detail TEXT NOT NULL, 
	CONSTRAINT pk_case_events PRIMARY KEY (id)
);
CREATE TABLE users (
	username VARCHAR(64) NOT NULL, 
	display_name VARCHAR(200) NOT NULL, 
	role VARCHAR(20) NOT NULL, 
	password_hash TEXT NOT NULL, 
	active BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	password_changed_at DATETIME NOT NULL, 
	CONSTRAINT pk_users PRIMARY KEY (username)
);
CREATE TABLE job_events (
	id INTEGER NOT NULL, 
	job_id VARCHAR(32) NOT NULL, 
	ts DATETIME NOT NULL, 
	event VARCHAR(64) NOT NULL, 
	attempt INTEGER NOT NULL, 
	detail TEXT NOT NULL, 
	CONSTRAINT pk_job_events PRIMARY KEY (id), 
	CONSTRAINT fk_job_events_job_id_jobs FOREIGN KEY(job_id) REFERENCES jobs (id)
);
INSERT INTO job_events VALUES(1,'J66124e21431b7246415','2026-11-26 02:41:39.955119','submitted',0,'{"key":"C-2026-0001:legacy_portal.establish","robot":"legacy_portal.establish","target":"amr-portal","priority":0,"max_attempts":3}');
INSERT INTO job_events VALUES(2,'J66124e21431b7246415','2026-11-26 02:41:39.957354','leased',1,'{"worker":"w-1","lease_expires_at":"2026-11-26T02:46:39.957354+00:00","submit_uncertain":false}');
INSERT INTO job_events VALUES(3,'J66124e21431b7246415','2026-11-26 02:41:39.960216','succeeded',1,'{"receipt":"GS-0001","reconciled":false,"worker":"w-1","result":"succeeded"}');
INSERT INTO job_events VALUES(4,'J66124e2144fd24f0897','2026-11-26 02:41:39.962831','submitted',0,'{"key":"C-2026-0002:legacy_portal.establish","robot":"legacy_portal.establish","target":"amr-portal","priority":0,"max_attempts":3}');
INSERT INTO job_events VALUES(5,'J66124e2144fd24f0897','2026-11-26 02:41:39.963567','leased',1,'{"worker":"w-1","lease_expires_at":"2026-11-26T02:46:39.963567+00:00","submit_uncertain":false}');
INSERT INTO job_events VALUES(6,'J66124e2144fd24f0897','2026-11-26 02:41:39.964616','needs_review',1,'{"review_task":"R66124e21457774c81c4","worker":"w-1","result":"needs_review","error_kind":"business_error","message":"地址不规范"}');
INSERT INTO job_events VALUES(7,'J66124e2145e17db44a5','2026-11-26 02:41:39.966485','submitted',0,'{"key":"C-2026-0003:legacy_portal.establish","robot":"legacy_portal.establish","target":"amr-portal","priority":0,"max_attempts":3}');
CREATE TABLE job_artifacts (
	id INTEGER NOT NULL, 
	job_id VARCHAR(32) NOT NULL, 
	attempt INTEGER NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	path TEXT NOT NULL, 
	bytes INTEGER, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_job_artifacts PRIMARY KEY (id), 
	CONSTRAINT fk_job_artifacts_job_id_jobs FOREIGN KEY(job_id) REFERENCES jobs (id)
);
CREATE TABLE review_tasks (
	id VARCHAR(32) NOT NULL, 
	case_id VARCHAR(100) NOT NULL, 
	job_id VARCHAR(32), 
	source VARCHAR(50) NOT NULL, 
	reason VARCHAR(100) NOT NULL, 
	message TEXT NOT NULL, 
	detail TEXT NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_review_tasks PRIMARY KEY (id), 
	CONSTRAINT fk_review_tasks_job_id_jobs FOREIGN KEY(job_id) REFERENCES jobs (id)
);
INSERT INTO review_tasks VALUES('R66124e21457774c81c4','C-2026-0002','J66124e2144fd24f0897','robot','robot.business_error','地址不规范','{"robot":"legacy_portal.establish","target":"amr-portal","attempt":1,"error_kind":"business_error","group":null,"submit_uncertain":false,"artifacts":[]}','open','2026-11-26 02:41:39.964616');
CREATE TABLE user_groups (
	username VARCHAR(64) NOT NULL, 
	group_name VARCHAR(100) NOT NULL, 
	CONSTRAINT pk_user_groups PRIMARY KEY (username, group_name), 
	CONSTRAINT fk_user_groups_username_users FOREIGN KEY(username) REFERENCES users (username)
);
CREATE TABLE review_task_details (
	task_id VARCHAR(32) NOT NULL, 
	case_version INTEGER, 
	matter VARCHAR(100), 
	group_name VARCHAR(100) NOT NULL, 
	state VARCHAR(30) NOT NULL, 
	priority INTEGER NOT NULL, 
	assignee VARCHAR(64), 
	due_at DATETIME, 
	sensitive BOOLEAN NOT NULL, 
	escalated BOOLEAN NOT NULL, 
	reasons TEXT NOT NULL, 
	findings TEXT NOT NULL, 
	machine_outcome VARCHAR(20), 
	decision TEXT, 
	decided_by VARCHAR(64), 
	decided_at DATETIME, 
	confirmed_by VARCHAR(64), 
	confirmed_at DATETIME, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_review_task_details PRIMARY KEY (task_id), 
	CONSTRAINT fk_review_task_details_task_id_review_tasks FOREIGN KEY(task_id) REFERENCES review_tasks (id)
);
CREATE TABLE task_events (
	id INTEGER NOT NULL, 
	task_id VARCHAR(32) NOT NULL, 
	ts DATETIME NOT NULL, 
	actor VARCHAR(200) NOT NULL, 
	event VARCHAR(64) NOT NULL, 
	detail TEXT NOT NULL, 
	CONSTRAINT pk_task_events PRIMARY KEY (id), 
	CONSTRAINT fk_task_events_task_id_review_tasks FOREIGN KEY(task_id) REFERENCES review_tasks (id)
);
CREATE INDEX ix_jobs_target_status ON jobs (target, status);
CREATE INDEX ix_jobs_case_id ON jobs (case_id);
CREATE INDEX ix_jobs_status_priority ON jobs (status, priority, created_at);
CREATE INDEX ix_audit_records_case_id_seq ON audit_records (case_id, seq);
CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records BEGIN SELECT RAISE(ABORT, 'audit records are append-only: they are never updated or deleted'); END;
CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records BEGIN SELECT RAISE(ABORT, 'audit records are append-only: they are never updated or deleted'); END;
CREATE INDEX ix_case_versions_status ON case_versions (status);
CREATE INDEX ix_case_versions_matter ON case_versions (matter);
CREATE INDEX ix_case_events_case_id ON case_events (case_id);
CREATE INDEX ix_job_events_job_id ON job_events (job_id);
CREATE INDEX ix_job_artifacts_job_id ON job_artifacts (job_id);
CREATE INDEX ix_review_tasks_job_id ON review_tasks (job_id);
CREATE INDEX ix_review_tasks_case_id ON review_tasks (case_id);
CREATE INDEX ix_user_groups_group_name ON user_groups (group_name);
CREATE INDEX ix_review_task_details_due_at ON review_task_details (due_at);
CREATE INDEX ix_review_task_details_state ON review_task_details (state, group_name);
CREATE INDEX ix_review_task_details_assignee ON review_task_details (assignee);
CREATE INDEX ix_task_events_task_id ON task_events (task_id);
COMMIT;
