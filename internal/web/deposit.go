package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/qrsvg"
	"github.com/pasarela/pasarela/internal/transport"
)

// The hosted deposit page: the page of a crypto deposit's token shows what
// to send where (the amount due, the address as text and as a QR code of
// the payment request), the time left at the locked rate, and the status as
// the chain moves it. Rendered whole on the server, it works without
// JavaScript (the deadline is printed, a link reloads); pay.js ticks the
// countdown and polls GET /pay/{token}/status, so that the page moves to
// "received — waiting for confirmation" and "paid" by itself.

// depositView is what the deposit template shows.
type depositView struct {
	Status        string // the payment's status, which CSS and the script key on
	StatusText    string
	Crypto        string // the crypto currency's code
	Amount        string // due, in Crypto
	Received      string
	Seen          bool // money has arrived
	Confirmations int
	Address       string
	URI           template.URL // the wallet's payment request; "" if not of a known scheme
	QR            template.HTML
	ExpiresIn     int64  // seconds left to pay
	Countdown     string // ExpiresIn as the page first shows it
	Deadline      string // when the time is up, written out
	DeadlineISO   string
	StatusURL     string
	Texts         []statusText // every status's text, for the script
}

// statusText is the text of one status (or "late").
type statusText struct {
	Status string
	Text   string
}

// depositStatuses are the states the page has a text for; "late" stands for
// an expired or failed deposit whose money came after its time.
var depositStatuses = []string{"pending", "processing", "completed", "adjustment", "expired", "failed", "invalidated",
	"refunded", "partially_refunded", "late"}

// depositStatusText is what the page says of a deposit in status st.
func depositStatusText(lang string, st pasarela.PaymentStatus, late bool) string {
	key := string(st)
	switch {
	case late && (st == pasarela.StatusExpired || st == pasarela.StatusFailed):
		key = "late"
	case st == pasarela.StatusPartiallyRefunded:
		key = "refunded"
	case st == pasarela.StatusRequiresAction || st == pasarela.StatusAuthorized:
		key = "processing"
	}
	if !has(langEN, "deposit.status."+key) {
		key = "failed"
	}
	return translate(lang, "deposit.status."+key)
}

// walletSchemes are the URI schemes of payment requests (BIP21, EIP-681)
// the page links to: anything else is shown only as a QR code.
var walletSchemes = []string{"bitcoin:", "bitcoincash:", "litecoin:", "ethereum:"}

// formatCountdown writes seconds as m:ss, or h:mm:ss from an hour.
func formatCountdown(secs int64) string {
	if secs < 0 {
		secs = 0
	}
	if secs >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	}
	return fmt.Sprintf("%d:%02d", secs/60, secs%60)
}

// depositPage renders the page of a deposit.
func (p *Pages) depositPage(w http.ResponseWriter, r *http.Request, c *core.Checkout) {
	v := p.base(c)
	lang, pay, dep := v.Lang, c.Payment, c.Payment.Deposit
	// The page counts down from what the gateway's clock says is left:
	// the buyer's own clock may be wrong.
	left := int64(c.PayWithin / time.Second)
	dv := &depositView{Status: string(pay.Status), StatusText: depositStatusText(lang, pay.Status, dep.Late),
		Crypto: dep.Currency, Amount: dep.Amount.String(), Received: dep.Received.String(), Seen: dep.Received.IsPositive(),
		Confirmations: dep.Confirmations, Address: dep.Address, ExpiresIn: left, Countdown: formatCountdown(left),
		Deadline:    formatDate(lang, dep.ExpiresAt) + " " + dep.ExpiresAt.UTC().Format("15:04") + " UTC",
		DeadlineISO: dep.ExpiresAt.UTC().Format(time.RFC3339), StatusURL: "/pay/" + c.Token + "/status"}
	for _, s := range walletSchemes {
		if strings.HasPrefix(dep.URI, s) {
			dv.URI = template.URL(dep.URI)
		}
	}
	qr, _, err := qrsvg.SVG(dep.URI, translate(lang, "deposit.qr", dep.Currency))
	if err != nil {
		p.log.ErrorContext(r.Context(), "deposit QR code failed", "request_id", transport.RequestID(r.Context()), "err", err)
	} else {
		dv.QR = qr
	}
	for _, s := range depositStatuses {
		st := pasarela.PaymentStatus(s)
		dv.Texts = append(dv.Texts, statusText{Status: s, Text: depositStatusText(lang, st, false)})
	}
	v.Deposit = dv
	v.Title = translate(lang, "deposit.title")
	p.render(w, r, http.StatusOK, "deposit", v)
}

// depositStatusJSON is the answer of GET /pay/{token}/status. Amounts are
// decimal strings, never floats.
type depositStatusJSON struct {
	Status        string `json:"status"`
	Received      string `json:"received"`
	Confirmations int    `json:"confirmations"`
	ExpiresIn     int64  `json:"expires_in"` // seconds left to pay; 0 once not pending
	Late          bool   `json:"late"`
}

// depositStatus is GET /pay/{token}/status: the deposit's state, for the
// page's polling. Tokens of anything but a deposit are not found.
func (p *Pages) depositStatus(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w, nil)
	w.Header().Set("Content-Type", "application/json")
	token := r.PathValue("token")
	var st *core.DepositState
	var err error
	if validToken(token) {
		st, err = p.svc.DepositStatus(r.Context(), token)
	} else {
		err = pasarela.NotFound("payment page")
	}
	if err != nil {
		switch {
		case pasarela.ErrorKind(err) == pasarela.KindNotFound:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":"not_found"}` + "\n"))
		case callerGone(w, err):
		default:
			p.log.ErrorContext(r.Context(), "deposit status failed", "request_id", transport.RequestID(r.Context()), "err", err)
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":"internal"}` + "\n"))
		}
		return
	}
	_ = json.NewEncoder(w).Encode(depositStatusJSON{Status: string(st.Status), Received: st.Received.String(),
		Confirmations: st.Confirmations, ExpiresIn: int64(st.ExpiresIn / time.Second), Late: st.Late})
}
