package pasarela

import "encoding/json"

// Field is one field of a partial or full update. Present tells whether the
// request named the field at all; Value is nil when it was named as null.
// PATCH changes only present fields; PUT treats absent fields as null.
type Field[T any] struct {
	Present bool
	Value   *T
}

// Set returns a present field holding v.
func Set[T any](v T) Field[T] { return Field[T]{Present: true, Value: &v} }

// UnmarshalJSON marks the field present; a JSON null leaves Value nil.
func (f *Field[T]) UnmarshalJSON(b []byte) error {
	f.Present = true
	if string(b) == "null" {
		f.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	f.Value = &v
	return nil
}

// Or returns the value when present and not null, else def.
func (f Field[T]) Or(def T) T {
	if f.Value != nil {
		return *f.Value
	}
	return def
}
