package sanitize

// StrictSanitize runs the policy itself, without the short cut for plain text.
func StrictSanitize(s string) string { return strict.Sanitize(s) }
