-- Documents and files (seed 003, migration 0025). Re-applied after every migrate; idempotent.

-- Uploads (POST /uploads): inserted and read by the tenant; the only change is used_at, set once
-- by createDocument or addDocumentVersion (a trigger refuses a second use).
select app.tenant_resource('uploads', 'upload', '{"update": ["used_at"]}');
