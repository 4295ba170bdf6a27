/// A file written by Optuna 5.0.0 itself (`sqlite3 FILE .dump`, without the transaction lines): study `demo`
/// (minimize) with an enqueued trial, float, log-float, int, stepped-int and categorical (with `None`) parameters,
/// two reports per trial (trial 1 reported NaN and -inf), trial 2 pruned, trial 3 returned +inf, trial 4 returned
/// NaN (FAIL), one trial left RUNNING by `ask()`. Produced by a script using only Optuna's public API.
enum OptunaDump {
    static let sql = #"""
        CREATE TABLE studies (
        	study_id INTEGER NOT NULL, 
        	study_name VARCHAR(512) NOT NULL, 
        	PRIMARY KEY (study_id)
        );
        INSERT INTO studies VALUES(1,'demo');
        CREATE TABLE version_info (
        	version_info_id INTEGER NOT NULL, 
        	schema_version INTEGER, 
        	library_version VARCHAR(256), 
        	PRIMARY KEY (version_info_id), 
        	CHECK (version_info_id=1)
        );
        INSERT INTO version_info VALUES(1,12,'5.0.0');
        CREATE TABLE study_directions (
        	study_direction_id INTEGER NOT NULL, 
        	direction VARCHAR(8) NOT NULL, 
        	study_id INTEGER NOT NULL, 
        	objective INTEGER NOT NULL, 
        	PRIMARY KEY (study_direction_id), 
        	UNIQUE (study_id, objective), 
        	FOREIGN KEY(study_id) REFERENCES studies (study_id)
        );
        INSERT INTO study_directions VALUES(1,'MINIMIZE',1,0);
        CREATE TABLE study_user_attributes (
        	study_user_attribute_id INTEGER NOT NULL, 
        	study_id INTEGER, 
        	"key" VARCHAR(512), 
        	value_json TEXT, 
        	PRIMARY KEY (study_user_attribute_id), 
        	UNIQUE (study_id, "key"), 
        	FOREIGN KEY(study_id) REFERENCES studies (study_id)
        );
        INSERT INTO study_user_attributes VALUES(1,1,'owner','"team"');
        CREATE TABLE study_system_attributes (
        	study_system_attribute_id INTEGER NOT NULL, 
        	study_id INTEGER, 
        	"key" VARCHAR(512), 
        	value_json TEXT, 
        	PRIMARY KEY (study_system_attribute_id), 
        	UNIQUE (study_id, "key"), 
        	FOREIGN KEY(study_id) REFERENCES studies (study_id)
        );
        CREATE TABLE trials (
        	trial_id INTEGER NOT NULL, 
        	number INTEGER, 
        	study_id INTEGER, 
        	state VARCHAR(8) NOT NULL, 
        	datetime_start DATETIME, 
        	datetime_complete DATETIME, 
        	PRIMARY KEY (trial_id), 
        	FOREIGN KEY(study_id) REFERENCES studies (study_id)
        );
        INSERT INTO trials VALUES(1,0,1,'COMPLETE','2026-11-28 01:18:08.552778','2026-11-28 01:18:08.927003');
        INSERT INTO trials VALUES(2,1,1,'COMPLETE','2026-11-28 01:18:08.988722','2026-11-28 01:18:09.281457');
        INSERT INTO trials VALUES(3,2,1,'PRUNED','2026-11-28 01:18:09.330768','2026-11-28 01:18:09.494495');
        INSERT INTO trials VALUES(4,3,1,'COMPLETE','2026-11-28 01:18:09.515328','2026-11-28 01:18:09.842196');
        INSERT INTO trials VALUES(5,4,1,'FAIL','2026-11-28 01:18:09.932584','2026-11-28 01:18:10.264404');
        INSERT INTO trials VALUES(6,5,1,'COMPLETE','2026-11-28 01:18:10.310365','2026-11-28 01:18:10.627678');
        INSERT INTO trials VALUES(7,6,1,'RUNNING','2026-11-28 01:18:10.671292',NULL);
        CREATE TABLE trial_user_attributes (
        	trial_user_attribute_id INTEGER NOT NULL, 
        	trial_id INTEGER, 
        	"key" VARCHAR(512), 
        	value_json TEXT, 
        	PRIMARY KEY (trial_user_attribute_id), 
        	UNIQUE (trial_id, "key"), 
        	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        );
        INSERT INTO trial_user_attributes VALUES(1,1,'note','{"a": 1}');
        INSERT INTO trial_user_attributes VALUES(2,2,'note','{"a": 1}');
        INSERT INTO trial_user_attributes VALUES(3,3,'note','{"a": 1}');
        INSERT INTO trial_user_attributes VALUES(4,4,'note','{"a": 1}');
        INSERT INTO trial_user_attributes VALUES(5,5,'note','{"a": 1}');
        INSERT INTO trial_user_attributes VALUES(6,6,'note','{"a": 1}');
        CREATE TABLE trial_system_attributes (
        	trial_system_attribute_id INTEGER NOT NULL, 
        	trial_id INTEGER, 
        	"key" VARCHAR(512), 
        	value_json TEXT, 
        	PRIMARY KEY (trial_system_attribute_id), 
        	UNIQUE (trial_id, "key"), 
        	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        );
        INSERT INTO trial_system_attributes VALUES(1,1,'fixed_params','{"x": 1.5, "lr": 0.01, "n": 3, "k": 4, "opt": "adam"}');
        CREATE TABLE trial_params (
        	param_id INTEGER NOT NULL, 
        	trial_id INTEGER, 
        	param_name VARCHAR(512), 
        	param_value FLOAT, 
        	distribution_json TEXT, 
        	PRIMARY KEY (param_id), 
        	UNIQUE (trial_id, param_name), 
        	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        );
        INSERT INTO trial_params VALUES(1,1,'x',1.5,'{"name": "FloatDistribution", "attributes": {"step": null, "low": -5.0, "high": 5.0, "log": false}}');
        INSERT INTO trial_params VALUES(2,1,'lr',0.010000000000000000208,'{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.0001, "high": 0.1, "log": true}}');
        INSERT INTO trial_params VALUES(3,1,'n',3.0,'{"name": "IntDistribution", "attributes": {"log": false, "step": 1, "low": 1, "high": 10}}');
        INSERT INTO trial_params VALUES(4,1,'k',4.0,'{"name": "IntDistribution", "attributes": {"log": false, "step": 2, "low": 2, "high": 16}}');
        INSERT INTO trial_params VALUES(5,1,'opt',0.0,'{"name": "CategoricalDistribution", "attributes": {"choices": ["adam", "sgd", null]}}');
        INSERT INTO trial_params VALUES(6,2,'x',-0.82977995297425977128,'{"name": "FloatDistribution", "attributes": {"step": null, "low": -5.0, "high": 5.0, "log": false}}');
        INSERT INTO trial_params VALUES(7,2,'lr',0.01448683388723935074,'{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.0001, "high": 0.1, "log": true}}');
        INSERT INTO trial_params VALUES(8,2,'n',1.0,'{"name": "IntDistribution", "attributes": {"log": false, "step": 1, "low": 1, "high": 10}}');
        INSERT INTO trial_params VALUES(9,2,'k',6.0,'{"name": "IntDistribution", "attributes": {"log": false, "step": 2, "low": 2, "high": 16}}');
        INSERT INTO trial_params VALUES(10,2,'opt',2.0,'{"name": "CategoricalDistribution", "attributes": {"choices": ["adam", "sgd", null]}}');
        INSERT INTO trial_params VALUES(11,3,'x',-1.5443927295695223378,'{"name": "FloatDistribution", "attributes": {"step": null, "low": -5.0, "high": 5.0, "log": false}}');
        INSERT INTO trial_params VALUES(12,3,'lr',0.0015498955191377142889,'{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.0001, "high": 0.1, "log": true}}');
        INSERT INTO trial_params VALUES(13,3,'n',6.0,'{"name": "IntDistribution", "attributes": {"log": false, "step": 1, "low": 1, "high": 10}}');
        INSERT INTO trial_params VALUES(14,3,'k',8.0,'{"name": "IntDistribution", "attributes": {"log": false, "step": 2, "low": 2, "high": 16}}');
        INSERT INTO trial_params VALUES(15,3,'opt',2.0,'{"name": "CategoricalDistribution", "attributes": {"choices": ["adam", "sgd", null]}}');
        INSERT INTO trial_params VALUES(16,4,'x',-4.7261240680207379227,'{"name": "FloatDistribution", "attributes": {"step": null, "low": -5.0, "high": 5.0, "log": false}}');
        INSERT INTO trial_params VALUES(17,4,'lr',0.010266030035164250625,'{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.0001, "high": 0.1, "log": true}}');
        INSERT INTO trial_params VALUES(18,4,'n',5.0,'{"name": "IntDistribution", "attributes": {"log": false, "step": 1, "low": 1, "high": 10}}');
        INSERT INTO trial_params VALUES(19,4,'k',10.0,'{"name": "IntDistribution", "attributes": {"log": false, "step": 2, "low": 2, "high": 16}}');
        INSERT INTO trial_params VALUES(20,4,'opt',2.0,'{"name": "CategoricalDistribution", "attributes": {"choices": ["adam", "sgd", null]}}');
        INSERT INTO trial_params VALUES(21,5,'x',4.6826157571939752699,'{"name": "FloatDistribution", "attributes": {"step": null, "low": -5.0, "high": 5.0, "log": false}}');
        INSERT INTO trial_params VALUES(22,5,'lr',0.00087151032059781417468,'{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.0001, "high": 0.1, "log": true}}');
        INSERT INTO trial_params VALUES(23,5,'n',7.0,'{"name": "IntDistribution", "attributes": {"log": false, "step": 1, "low": 1, "high": 10}}');
        INSERT INTO trial_params VALUES(24,5,'k',16.0,'{"name": "IntDistribution", "attributes": {"log": false, "step": 2, "low": 2, "high": 16}}');
        INSERT INTO trial_params VALUES(25,5,'opt',0.0,'{"name": "CategoricalDistribution", "attributes": {"choices": ["adam", "sgd", null]}}');
        INSERT INTO trial_params VALUES(26,6,'x',-3.3016958043543107592,'{"name": "FloatDistribution", "attributes": {"step": null, "low": -5.0, "high": 5.0, "log": false}}');
        INSERT INTO trial_params VALUES(27,6,'lr',0.04309506204261084189,'{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.0001, "high": 0.1, "log": true}}');
        INSERT INTO trial_params VALUES(28,6,'n',1.0,'{"name": "IntDistribution", "attributes": {"log": false, "step": 1, "low": 1, "high": 10}}');
        INSERT INTO trial_params VALUES(29,6,'k',8.0,'{"name": "IntDistribution", "attributes": {"log": false, "step": 2, "low": 2, "high": 16}}');
        INSERT INTO trial_params VALUES(30,6,'opt',0.0,'{"name": "CategoricalDistribution", "attributes": {"choices": ["adam", "sgd", null]}}');
        CREATE TABLE trial_values (
        	trial_value_id INTEGER NOT NULL, 
        	trial_id INTEGER NOT NULL, 
        	objective INTEGER NOT NULL, 
        	value FLOAT, 
        	value_type VARCHAR(7) NOT NULL, 
        	PRIMARY KEY (trial_value_id), 
        	UNIQUE (trial_id, objective), 
        	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        );
        INSERT INTO trial_values VALUES(1,1,0,2.25,'FINITE');
        INSERT INTO trial_values VALUES(2,2,0,5.0,'FINITE');
        INSERT INTO trial_values VALUES(3,3,0,1.25,'FINITE');
        INSERT INTO trial_values VALUES(4,4,0,NULL,'INF_POS');
        INSERT INTO trial_values VALUES(5,6,0,0.5,'FINITE');
        CREATE TABLE trial_intermediate_values (
        	trial_intermediate_value_id INTEGER NOT NULL, 
        	trial_id INTEGER NOT NULL, 
        	step INTEGER NOT NULL, 
        	intermediate_value FLOAT, 
        	intermediate_value_type VARCHAR(7) NOT NULL, 
        	PRIMARY KEY (trial_intermediate_value_id), 
        	UNIQUE (trial_id, step), 
        	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        );
        INSERT INTO trial_intermediate_values VALUES(1,1,0,0.25,'FINITE');
        INSERT INTO trial_intermediate_values VALUES(2,1,1,1.25,'FINITE');
        INSERT INTO trial_intermediate_values VALUES(3,2,0,NULL,'NAN');
        INSERT INTO trial_intermediate_values VALUES(4,2,1,NULL,'INF_NEG');
        INSERT INTO trial_intermediate_values VALUES(5,3,0,0.25,'FINITE');
        INSERT INTO trial_intermediate_values VALUES(6,3,1,1.25,'FINITE');
        INSERT INTO trial_intermediate_values VALUES(7,4,0,0.25,'FINITE');
        INSERT INTO trial_intermediate_values VALUES(8,4,1,1.25,'FINITE');
        INSERT INTO trial_intermediate_values VALUES(9,5,0,0.25,'FINITE');
        INSERT INTO trial_intermediate_values VALUES(10,5,1,1.25,'FINITE');
        INSERT INTO trial_intermediate_values VALUES(11,6,0,0.25,'FINITE');
        INSERT INTO trial_intermediate_values VALUES(12,6,1,1.25,'FINITE');
        CREATE TABLE trial_heartbeats (
        	trial_heartbeat_id INTEGER NOT NULL, 
        	trial_id INTEGER NOT NULL, 
        	heartbeat DATETIME NOT NULL, 
        	PRIMARY KEY (trial_heartbeat_id), 
        	UNIQUE (trial_id), 
        	FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        );
        CREATE TABLE alembic_version (
        	version_num VARCHAR(32) NOT NULL, 
        	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
        );
        INSERT INTO alembic_version VALUES('v3.2.0.a');
        CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name);
        CREATE INDEX ix_trials_study_id ON trials (study_id);
        """#
}
