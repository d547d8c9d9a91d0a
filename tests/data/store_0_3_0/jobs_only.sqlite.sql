-- A SQLite database made by govauto 4987587 (the 0.3.0 release: jobs, job_events, job_artifacts, review_tasks): open_store() then a few jobs.
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
INSERT INTO jobs VALUES('J66124e1fb516d8c10a0','C-2026-0001:legacy_portal.establish','legacy_portal.establish','amr-portal','C-2026-0001','{"case":{"case_id":"C-2026-0001"}}','succeeded',0,1,3,0,'GS-0001',0,NULL,NULL,'2026-11-26 02:41:38.324837','2026-11-26 02:41:38.335172','2026-11-26 02:41:38.332429','2026-11-26 02:41:38.335172',NULL,NULL,NULL,0);
INSERT INTO jobs VALUES('J66124e1fb7f284d6651','C-2026-0002:legacy_portal.establish','legacy_portal.establish','amr-portal','C-2026-0002','{"case":{"case_id":"C-2026-0002"}}','needs_review',0,1,3,0,NULL,0,'business_error','地址不规范','2026-11-26 02:41:38.336550','2026-11-26 02:41:38.338167','2026-11-26 02:41:38.337218','2026-11-26 02:41:38.338167',NULL,NULL,NULL,0);
INSERT INTO jobs VALUES('J66124e1fb8b0afc303e','C-2026-0003:legacy_portal.establish','legacy_portal.establish','amr-portal','C-2026-0003','{"case":{"case_id":"C-2026-0003"}}','queued',0,0,3,0,NULL,0,NULL,NULL,'2026-11-26 02:41:38.339592','2026-11-26 02:41:38.339592',NULL,NULL,NULL,NULL,NULL,0);
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
INSERT INTO job_events VALUES(1,'J66124e1fb516d8c10a0','2026-11-26 02:41:38.324837','submitted',0,'{"key":"C-2026-0001:legacy_portal.establish","robot":"legacy_portal.establish","target":"amr-portal","priority":0,"max_attempts":3}');
INSERT INTO job_events VALUES(2,'J66124e1fb516d8c10a0','2026-11-26 02:41:38.332429','leased',1,'{"worker":"w-1","lease_expires_at":"2026-11-26T02:46:38.332429+00:00","submit_uncertain":false}');
INSERT INTO job_events VALUES(3,'J66124e1fb516d8c10a0','2026-11-26 02:41:38.335172','succeeded',1,'{"receipt":"GS-0001","reconciled":false,"worker":"w-1","result":"succeeded"}');
INSERT INTO job_events VALUES(4,'J66124e1fb7f284d6651','2026-11-26 02:41:38.336550','submitted',0,'{"key":"C-2026-0002:legacy_portal.establish","robot":"legacy_portal.establish","target":"amr-portal","priority":0,"max_attempts":3}');
INSERT INTO job_events VALUES(5,'J66124e1fb7f284d6651','2026-11-26 02:41:38.337218','leased',1,'{"worker":"w-1","lease_expires_at":"2026-11-26T02:46:38.337218+00:00","submit_uncertain":false}');
INSERT INTO job_events VALUES(6,'J66124e1fb7f284d6651','2026-11-26 02:41:38.338167','needs_review',1,'{"review_task":"R66124e1fb861d8711db","worker":"w-1","result":"needs_review","error_kind":"business_error","message":"地址不规范"}');
INSERT INTO job_events VALUES(7,'J66124e1fb8b0afc303e','2026-11-26 02:41:38.339592','submitted',0,'{"key":"C-2026-0003:legacy_portal.establish","robot":"legacy_portal.establish","target":"amr-portal","priority":0,"max_attempts":3}');
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
INSERT INTO review_tasks VALUES('R66124e1fb861d8711db','C-2026-0002','J66124e1fb7f284d6651','robot','robot.business_error','地址不规范','{"robot":"legacy_portal.establish","target":"amr-portal","attempt":1,"error_kind":"business_error","submit_uncertain":false,"artifacts":[]}','open','2026-11-26 02:41:38.338167');
CREATE INDEX ix_jobs_case_id ON jobs (case_id);
CREATE INDEX ix_jobs_target_status ON jobs (target, status);
CREATE INDEX ix_jobs_status_priority ON jobs (status, priority, created_at);
CREATE INDEX ix_job_events_job_id ON job_events (job_id);
CREATE INDEX ix_job_artifacts_job_id ON job_artifacts (job_id);
CREATE INDEX ix_review_tasks_case_id ON review_tasks (case_id);
CREATE INDEX ix_review_tasks_job_id ON review_tasks (job_id);
COMMIT;
