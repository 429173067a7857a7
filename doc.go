// Package pasarela is the vocabulary of the gateway: the nouns every face and
// the core speak (clients, users, applications, payments, money), the error
// type they all return, and the principal that travels in a request context.
//
// It imports only the standard library (and the decimal type) so that every
// other package can depend on it without cycles.
package pasarela
