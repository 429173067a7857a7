package pasarela

import (
	"errors"
	"maps"
	"testing"
)

// TestValidationParams: the values a message quotes travel with its field
// error, through Err and through AddError, so a face can word its own
// message without parsing the core's.
func TestValidationParams(t *testing.T) {
	t.Parallel()
	params := map[string]string{"expected": "10700", "got": "10000"}
	var inner Validation
	inner.AddParams("total", "total_mismatch", "must equal the sum", params)
	var e *Error
	if !errors.As(inner.Err(), &e) || !maps.Equal(e.Params, params) || !maps.Equal(e.Fields[0].Params, params) {
		t.Fatalf("Err lost the params: %#v", e)
	}

	single := &Error{Kind: KindInvalid, Code: "total_mismatch", Field: "total", Message: "must equal the sum", Params: params}
	var outer Validation
	outer.Add("currency", "required", "is required")
	if !outer.AddError(single) {
		t.Fatal("AddError refused an invalid-kind error")
	}
	if !errors.As(outer.Err(), &e) || len(e.Fields) != 2 || !maps.Equal(e.Fields[1].Params, params) {
		t.Fatalf("AddError lost the params: %#v", e.Fields)
	}
}
