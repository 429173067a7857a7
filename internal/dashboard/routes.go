package dashboard

import "net/http"

// routes registers every route of the dashboard. Pages for signed-in users
// go through get and post (dashboard.go), which check the session, the
// role and, for a POST, the form token.
func (d *Dashboard) routes() {
	d.mux.HandleFunc("GET "+Prefix+"assets/{file}", d.serveAsset)
	d.mux.HandleFunc("GET "+Prefix+"lang/{lang}", d.setLang)
	d.mux.HandleFunc("GET "+Prefix+"signin", d.showSignIn)
	d.mux.HandleFunc("POST "+Prefix+"signin", d.signIn)
	d.mux.HandleFunc("GET "+Prefix+"signin/code", d.showCode)
	d.mux.HandleFunc("POST "+Prefix+"signin/code", d.enterCode)
	d.mux.HandleFunc("POST "+Prefix+"signin/code/cancel", d.cancelCode)
	d.post(Prefix+"signout", AnyRole, d.signOut)

	d.get(Prefix+"{$}", AnyRole, d.home)
	d.sectionRoutes() // sections.go

	d.get(Prefix+"account", AnyRole, d.account)
	d.post(Prefix+"account/totp", AnyRole, d.enrollTOTP)
	d.post(Prefix+"account/totp/confirm", AnyRole, d.confirmTOTP)
	d.post(Prefix+"account/totp/disable", AnyRole, d.disableTOTP)

	d.get(Prefix+"payments", AnyRole, d.payments)
	d.get(Prefix+"payments.csv", AnyRole, d.exportPayments)
	d.get(Prefix+"payments/{id}", AnyRole, d.payment)
	d.post(Prefix+"payments/{id}/refund", Refunders, d.refund)
	d.post(Prefix+"payments/{id}/capture", PaymentActors, d.capture)
	d.post(Prefix+"payments/{id}/cancel", PaymentActors, d.cancel)
	d.post(Prefix+"payments/{id}/link", PaymentActors, d.link)
}

// redirect answers a form with 303 See Other, so that reloading the next
// page does not send the form again.
func redirect(w http.ResponseWriter, r *http.Request, path string) error {
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}
