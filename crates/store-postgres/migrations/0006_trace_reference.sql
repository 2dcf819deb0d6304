-- The reference shown to the person whose sign-in was refused, so that an administrator finds
-- the trace in Failed sign-ins.
ALTER TABLE sp_traces ADD COLUMN reference TEXT NOT NULL DEFAULT '';
