package gateway

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-playground/validator/v10"
)

// validationError turns validator errors into an invalid_argument *Error with one
// FieldError per field. Other errors (a bad validator setup) pass through as they are.
func validationError(err error) error {
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		var inv *validator.InvalidValidationError
		if errors.As(err, &inv) {
			return nil // not a struct: nothing to validate
		}
		return err
	}
	details := make([]FieldError, 0, len(ves))
	for _, fe := range ves {
		field := fieldPath(fe.Namespace())
		details = append(details, FieldError{
			Field:   field,
			Rule:    fe.Tag(),
			Param:   fe.Param(),
			Message: ruleMessage(field, fe),
		})
	}
	msg := "invalid message"
	if len(details) == 1 {
		msg = details[0].Message
	} else {
		msg = fmt.Sprintf("invalid message: %d fields failed validation", len(details))
	}
	return &Error{Code: CodeInvalidArgument, Message: msg, Details: details, cause: err}
}

// fieldPath drops the struct type name validator puts first: "Message.text" -> "text".
func fieldPath(ns string) string {
	if i := strings.IndexByte(ns, '.'); i >= 0 {
		return ns[i+1:]
	}
	return ns
}

// ruleMessage writes a short English sentence for the common rules.
func ruleMessage(field string, fe validator.FieldError) string {
	p := fe.Param()
	isText := fe.Kind().String() == "string"
	unit := ""
	if isText {
		unit = " characters"
	} else if k := fe.Kind().String(); k == "slice" || k == "array" || k == "map" {
		unit = " items"
	}
	switch fe.Tag() {
	case "required", "required_with", "required_without", "required_if", "required_unless":
		return field + " is required"
	case "max", "lte":
		return fmt.Sprintf("%s must be at most %s%s", field, p, unit)
	case "min", "gte":
		return fmt.Sprintf("%s must be at least %s%s", field, p, unit)
	case "lt":
		return fmt.Sprintf("%s must be less than %s%s", field, p, unit)
	case "gt":
		return fmt.Sprintf("%s must be greater than %s%s", field, p, unit)
	case "len":
		return fmt.Sprintf("%s must be exactly %s%s", field, p, unit)
	case "oneof":
		return fmt.Sprintf("%s must be one of: %s", field, p)
	case "email":
		return field + " must be an email address"
	case "url", "uri", "http_url":
		return field + " must be a URL"
	case "uuid", "uuid4":
		return field + " must be a UUID"
	case "alphanum":
		return field + " must contain only letters and digits"
	}
	if p != "" {
		return fmt.Sprintf("%s failed rule %s=%s", field, fe.Tag(), p)
	}
	return fmt.Sprintf("%s failed rule %s", field, fe.Tag())
}
