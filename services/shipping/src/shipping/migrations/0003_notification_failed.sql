-- A notification that keeps failing stops being retried and says so: `failed`, visible to
-- the operator, who can send it again by hand once the mail relay is fixed.
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('waiting_recipient', 'pending', 'sent', 'failed'));
