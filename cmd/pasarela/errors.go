package main

import (
	"context"
	"errors"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// constraintWords says, for each unique constraint an operator command can
// violate, what already exists and by which of its fields, so that a
// conflict reads "a client with code com.cascade already exists" rather
// than the driver's text. The value is the command's input.
var constraintWords = map[string][2]string{
	store.UniqueClientCode:   {"a client", "code"},
	store.UniqueUserUsername: {"a user", "username"},
	store.UniqueUserEmail:    {"a user", "email"},
	store.UniqueAppShopLogin: {"an application", "shopLogin"},
	store.UniqueAppKeyPrefix: {"an application key", "prefix"},
	store.UniqueGatewayCode:  {"a gateway config", "code"},
	store.UniqueMerchantRef:  {"a payment", "merchant reference"},
}

// inputValues is implemented by the commands whose input a conflict can
// name: the values of their fields, keyed by the core's field names.
type inputValues interface {
	inputValues() map[string]string
}

// run runs cmd as main does: its error, if any, as a person should read
// it (see userError).
func run(ctx context.Context, cmd Command) error {
	err := cmd.Run(ctx)
	if err == nil {
		return nil
	}
	var values map[string]string
	if iv, ok := cmd.(inputValues); ok {
		values = iv.inputValues()
	}
	return errors.New(userError(err, values))
}

// userError is err as the command line prints it. An error of the
// gateway's own (pasarela.Error) that is the caller's to fix (invalid,
// not found, conflict…) is printed by its safe message only: its cause is
// the database driver's text, which means nothing to an operator. A
// constraint violation is worded by the constraint's name (never by the
// driver's message), with the value from values (keyed by the field the
// constraint guards, "code", "email"). Whatever a command wrapped around
// the error is kept in front of it.
func userError(err error, values map[string]string) string {
	var pe *pasarela.Error
	if !errors.As(err, &pe) || pe.Err == nil || pe.Kind == pasarela.KindInternal || pe.Kind == pasarela.KindUnavailable {
		return err.Error()
	}
	msg := safeMessage(pe, values)
	full, inner := err.Error(), pe.Error()
	if i := strings.Index(full, inner); i > 0 {
		msg = full[:i] + msg
	}
	return msg
}

// safeMessage is pe's message without its cause.
func safeMessage(pe *pasarela.Error, values map[string]string) string {
	if words, ok := constraintWords[pe.Constraint]; ok {
		if v := values[pe.Field]; v != "" {
			return words[0] + " with " + words[1] + " " + v + " already exists"
		}
		return words[0] + " with that " + words[1] + " already exists"
	}
	if pe.Constraint == store.ForeignKeyViolation {
		return "refers to something that does not exist"
	}
	msg := pe.Message
	if msg == "" {
		msg = pe.Kind.String()
	}
	if pe.Field != "" {
		msg = pe.Field + ": " + msg
	}
	return msg
}
