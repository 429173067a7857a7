package web

import "github.com/pasarela/pasarela/internal/formtoken"

// csrf guards the checkout's forms with the double-submit pattern
// (formtoken): a buyer has no session, so the token is a random cookie for
// /pay/ and the same value in the form.
var csrf = formtoken.DoubleSubmit{Cookie: "pasarela_csrf", Path: "/pay/", Field: "csrf"}
