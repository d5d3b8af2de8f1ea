-- zhili schema on SQLite. Times are milliseconds since the Unix epoch (UTC).
CREATE TABLE org_nodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER REFERENCES org_nodes(id),
    kind TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    geometry TEXT,
    synthetic BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX org_nodes_path ON org_nodes(path);

CREATE TABLE departments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    node_id INTEGER NOT NULL REFERENCES org_nodes(id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL
);

CREATE TABLE grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    node_id INTEGER REFERENCES org_nodes(id),
    node_path TEXT,
    department_id INTEGER REFERENCES departments(id),
    CHECK (node_id IS NOT NULL OR department_id IS NOT NULL)
);
CREATE INDEX grants_user ON grants(user_id);

CREATE TABLE tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_no TEXT UNIQUE,
    kind TEXT NOT NULL,
    category TEXT,
    channel TEXT NOT NULL,
    priority TEXT NOT NULL,
    state TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    address TEXT,
    lat REAL,
    lon REAL,
    node_id INTEGER NOT NULL REFERENCES org_nodes(id),
    node_path TEXT NOT NULL,
    village_id INTEGER REFERENCES org_nodes(id),
    department_id INTEGER REFERENCES departments(id),
    handler_id INTEGER REFERENCES users(id),
    created_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL,
    created_month TEXT NOT NULL,
    registered_at INTEGER,
    closed_at INTEGER,
    ended_at INTEGER,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    clocks TEXT NOT NULL,
    clock_status TEXT NOT NULL,
    overall_due_at INTEGER,
    next_check_at INTEGER,
    closed_on_time BOOLEAN,
    reworks INTEGER NOT NULL DEFAULT 0,
    returns INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cases_created ON cases(created_at, id);
CREATE INDEX cases_next_check ON cases(next_check_at) WHERE next_check_at IS NOT NULL;
-- Lists are newest first: (created_at, id) after the filter column.
CREATE INDEX cases_state ON cases(state, created_at, id);
CREATE INDEX cases_dept ON cases(department_id, created_at, id);
CREATE INDEX cases_node_path ON cases(node_path, created_at, id);
CREATE INDEX cases_status ON cases(clock_status, created_at, id);
CREATE INDEX cases_village ON cases(village_id, created_at);

CREATE TABLE case_parties (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    role TEXT NOT NULL,
    name_enc TEXT NOT NULL,
    name_masked TEXT NOT NULL,
    id_number_enc TEXT,
    id_number_masked TEXT,
    phone_enc TEXT,
    phone_masked TEXT,
    address_enc TEXT,
    address_masked TEXT
);
CREATE INDEX case_parties_case ON case_parties(case_id);

CREATE TABLE comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    author_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX comments_case ON comments(case_id);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    mime TEXT NOT NULL,
    filename TEXT NOT NULL,
    case_id INTEGER REFERENCES cases(id),
    uploaded_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    case_id INTEGER REFERENCES cases(id),
    kind TEXT NOT NULL,
    actor_id INTEGER,
    at INTEGER NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    alg TEXT NOT NULL,
    UNIQUE (stream, seq)
);

CREATE TABLE chain_heads (
    stream TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
