-- The school platform (seed 001). Re-applied after every migrate; idempotent.

select app.tenant_resource('academic_years', 'academic_year',
  '{"update": ["name", "start_date", "end_date", "current", "deleted_at"]}');
