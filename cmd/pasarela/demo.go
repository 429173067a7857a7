package main

import (
	"context"
	"fmt"
	"net"
	"strings"
)

// printDemo creates the demo tenant once and prints fresh credentials with
// commands to paste. They go to standard output, never to the log.
func (m *Main) printDemo(ctx context.Context) error {
	d, err := m.svc.EnsureDemo(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	base := "http://" + displayAddr(m.ln.Addr().String())
	state := "created"
	if !d.Created {
		state = "exists; its password and API key were renewed for this run"
	}
	fmt.Fprintf(m.stdout, `
pasarela demo (%s)
  client       %s  id %s  code %s
  admin user   %s  password %s
  application  %s  id %d  API key %s

Try it:
  curl -s %s/application/%d -H 'X-Auth-Token: %s'
  curl -s %s/application/%d/payment -H 'X-Auth-Token: %s' -H 'Content-Type: application/json' \
    -d '{"payment":{"amount":"1050","currency":"EUR","description":"Demo order"}}'
  curl -s %s/oauth/token -d grant_type=password -d username=%s -d 'password=%s'
Open the "payment" link of the answer and pay with the test card 4242 4242 4242 4242.
`, state, d.Client.Name, d.Client.ID, d.Client.Code, d.User.Username, d.Password,
		d.Application.Name, d.Application.ID, d.Application.APIKey,
		base, d.Application.ID, d.Application.APIKey, base, d.Application.ID, d.Application.APIKey,
		base, d.User.Username, d.Password)
	if m.tlsLn == nil {
		fmt.Fprint(m.stdout, "SekurePay (HTTPS only): restart with --tls-self-signed (or --tls-cert/--tls-key) for its command.\n")
	} else {
		// A new order id each start, so that the pasted command makes an
		// order to pay rather than replaying the last run's. Its totals add
		// up: 1000 of items + 250 shipping + 200 tax = 1450.
		id := "demo-" + m.svc.Now().UTC().Format("20060102-150405")
		fmt.Fprintf(m.stdout, `SekurePay (HTTPS only; -k accepts a self-signed certificate):
  curl -sk -u %s: https://%s/sekurepay/api/v1/orders -H 'Content-Type: application/json' \
    -d '{"id":"%s","sub_total_cents":1000,"shipping_amount_cents":250,"total_cents":1450,"currency":"EUR","items":[{"description":"Mug","amount_cents":1000}],"taxes":[{"description":"VAT","amount_cents":200}]}'
`, d.Application.APIKey, displayAddr(m.tlsLn.Addr().String()), id)
	}
	// Kashpay's user is the email, its entity the client's code.
	fmt.Fprintf(m.stdout, `Kashpay (sign in; send the token as Authorization: Bearer):
  curl -s %s/kashpay/AuthenticationService/authenticate -H 'Content-Type: application/json' \
    -d '{"entity":"%s","user":"%s","password":"%s"}'

`, base, d.Client.Code, d.User.Email, d.Password)
	// The demo's user name is its email; another name is worth saying.
	login := d.User.Email
	if d.User.Username != "" && !strings.EqualFold(d.User.Username, d.User.Email) {
		login += " (or " + d.User.Username + ")"
	}
	fmt.Fprintf(m.stdout, `Dashboard (in a browser):
  %s/dashboard/  sign in as %s with password %s

`, base, login, d.Password)
	// xpay signs in by email; the demo's sandbox crypto config takes its
	// transactions, paid on the sandbox chain with the application's key.
	fmt.Fprintf(m.stdout, `xpay (sign in; send the key as Authorization: Token; pay on the sandbox chain with the API key):
  curl -s %s/xpay/api/v1/auth/login/ -H 'Content-Type: application/json' \
    -d '{"email":"%s","password":"%s"}'

`, base, d.User.Email, d.Password)
	return nil
}

// displayAddr turns a wildcard listen address into one a curl can reach.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + port
}
