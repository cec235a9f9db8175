// Audit records.
