package core_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/store"
)

// MustSaveCard stores a card of A's application with its key.
func (e *env) MustSaveCard(ref, number string, verify bool) *pasarela.StoredCard {
	e.t.Helper()
	sc, err := e.svc.SaveCard(e.app(), e.appID(), core.StoredCardInput{Reference: ref, Card: card(number), Verify: verify, Currency: "EUR"})
	if err != nil {
		e.t.Fatalf("save %s as %s: %v", number, ref, err)
	}
	return sc
}

// TestSaveCard saves each sandbox test card with and without verification
// and checks what is kept, what is refused and with which code, and that
// no card number is stored anywhere.
func TestSaveCard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		number string
		verify bool
		code   string // the refusal's code; "" when the card is saved
	}{
		{cardVisa, false, ""},
		{cardVisa, true, ""},
		{cardMastercard, true, ""},
		// Without verification the processor only tokenizes: a card that
		// would decline is kept, and declines when charged.
		{cardDeclined, false, ""},
		{cardDeclined, true, processor.CodeCardDeclined},
		{cardInsufficient, true, processor.CodeInsufficientFunds},
		{cardExpired, true, processor.CodeExpiredCard},
		{cardBadCVC, true, processor.CodeIncorrectCVC},
		// A verification cannot take the buyer through 3-D Secure.
		{card3DS, true, core.CodeAuthenticationRequired},
		{card3DS, false, ""},
	}
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		for i, tc := range tests {
			name := fmt.Sprintf("%s verify=%v", tc.number, tc.verify)
			ref := fmt.Sprintf("card-%02d", i)
			sc, err := e.svc.SaveCard(e.app(), e.appID(), core.StoredCardInput{Reference: ref, Card: card(tc.number),
				Verify: tc.verify, Currency: "EUR"})
			if tc.code != "" {
				wantErr(t, name, err, pasarela.KindInvalid, tc.code)
				_, err := e.svc.StoredCardByReference(e.app(), e.appID(), ref)
				wantErr(t, name+": the refused card", err, pasarela.KindNotFound, "not_found")
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want := pasarela.Card{Token: sc.Card.Token, BIN: tc.number[:6], Last4: tc.number[12:],
				Brand: pasarela.CardBrand(tc.number), ExpMonth: 12, ExpYear: cardExpYear}
			if sc.ID == 0 || sc.Reference != ref || sc.ClientID != e.A.Client.ID || sc.ApplicationID != e.appID() ||
				sc.GatewayConfig != cfg.ID || sc.Card != want || !strings.HasPrefix(sc.Card.Token, "card_") ||
				!sc.CreatedAt.Equal(e.clock.Now()) || !sc.UpdatedAt.Equal(e.clock.Now()) {
				t.Errorf("%s: saved %+v, want card %+v at config %d", name, sc, want, cfg.ID)
			}
			got, err := e.svc.StoredCardByReference(e.app(), e.appID(), ref)
			if err != nil || *got != *sc {
				t.Errorf("%s: read back %+v, %v; want %+v", name, got, err, sc)
			}
		}
		for _, table := range []string{"stored_cards", "processor_state"} {
			text := e.tableText(table)
			for _, tc := range tests {
				if strings.Contains(text, tc.number) {
					t.Errorf("the card number %s is stored in %s", tc.number, table)
				}
			}
		}
	})
}

// TestSaveCardRefuses: the input is checked before any processor is asked,
// each problem naming its field; an application without a card gateway
// config cannot store cards.
func TestSaveCardRefuses(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		bad := card(cardVisa)
		bad.Number = "4242424242424241"
		tests := []struct {
			name  string
			in    core.StoredCardInput
			field string
			code  string
		}{
			{"no reference", core.StoredCardInput{Card: card(cardVisa)}, "reference", "required"},
			{"reference too long", core.StoredCardInput{Reference: strings.Repeat("r", 101), Card: card(cardVisa)}, "reference", "too_long"},
			{"NUL in the reference", core.StoredCardInput{Reference: "a\x00b", Card: card(cardVisa)}, "reference", "format"},
			{"line break in the reference", core.StoredCardInput{Reference: "a\nb", Card: card(cardVisa)}, "reference", "format"},
			{"not UTF-8", core.StoredCardInput{Reference: "a\xffb", Card: card(cardVisa)}, "reference", "encoding"},
			{"verification without currency", core.StoredCardInput{Reference: "r", Card: card(cardVisa), Verify: true}, "currency", "required"},
			{"verification in a crypto currency", core.StoredCardInput{Reference: "r", Card: card(cardVisa), Verify: true, Currency: "BTC"}, "currency", "currency"},
			{"wrong check digit", core.StoredCardInput{Reference: "r", Card: bad}, "number", "card_number"},
		}
		for _, tc := range tests {
			_, err := e.svc.SaveCard(e.app(), e.appID(), tc.in)
			wantErr(t, tc.name, err, pasarela.KindInvalid, tc.code)
			if f := pasarela.AsError(err).Field; f != tc.field {
				t.Errorf("%s: field %q, want %q", tc.name, f, tc.field)
			}
		}
		// A reference of 100 characters, printable ones of any script, is
		// fine; there is no config yet to store it with.
		long := strings.Repeat("ñ", 99) + " "
		_, err := e.svc.SaveCard(e.app(), e.appID(), core.StoredCardInput{Reference: long, Card: card(cardVisa)})
		wantErr(t, "no card config", err, pasarela.KindInvalid, "no_gateway")
		e.MustSandbox()
		if sc := e.MustSaveCard(long, cardVisa, false); sc.Reference != long {
			t.Errorf("reference kept as %q", sc.Reference)
		}
		if n := e.count(`SELECT COUNT(*) FROM stored_cards`); n != 1 {
			t.Errorf("%d stored cards, want the one valid save", n)
		}
	})
}

// TestStoredCardReferenceUnique: a reference is an application's name for
// one card; the same reference in another application is another card.
func TestStoredCardReferenceUnique(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		first := e.MustSaveCard("ROSSI", cardVisa, true)
		for _, verify := range []bool{false, true} {
			_, err := e.svc.SaveCard(e.app(), e.appID(), core.StoredCardInput{Reference: "ROSSI", Card: card(cardMastercard),
				Verify: verify, Currency: "EUR"})
			wantErr(t, "the same reference again", err, pasarela.KindConflict, "already_exists")
			if !store.IsConstraint(err, store.UniqueStoredCardRef) || pasarela.AsError(err).Field != "reference" {
				t.Errorf("duplicate reference: %+v, want a conflict on %s for reference", err, store.UniqueStoredCardRef)
			}
		}
		got, err := e.svc.StoredCardByReference(e.app(), e.appID(), "ROSSI")
		if err != nil || *got != *first {
			t.Errorf("the first card after the refused ones: %+v, %v", got, err)
		}
		a2 := coretest.MustApplication(t, e.svc, e.A.Client.ID, "Alpha kiosk")
		if _, err := e.svc.CreateGatewayConfig(e.admin(), a2.ID, core.GatewayConfigInput{
			Gateway: pasarela.Set(sandbox.GatewayID), Name: pasarela.Set("kiosk")}); err != nil {
			t.Fatal(err)
		}
		twin, err := e.svc.SaveCard(coretest.AppCtx(e.ctx, &a2.Application), a2.ID, core.StoredCardInput{Reference: "ROSSI",
			Card: card(cardMastercard)})
		if err != nil || twin.Card.Last4 != "4444" || twin.ID == first.ID {
			t.Errorf("the same reference in another application: %+v, %v", twin, err)
		}
	})
}

// TestCheckCardAt: the card's own checks alone need no processor; with a
// verification the hold's answer is reported (not an error) and nothing is
// stored.
func TestCheckCardAt(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		got, err := e.svc.CheckCardAt(e.app(), e.appID(), card("5555 5555 5555 4444"), false, "")
		want := core.CardCheck{Brand: pasarela.BrandMastercard, BIN: "555555", Last4: "4444"}
		if err != nil || *got != want {
			t.Errorf("check without verification and no config: %+v, %v; want %+v", got, err, want)
		}
		_, err = e.svc.CheckCardAt(e.app(), e.appID(), card(cardVisa), true, "EUR")
		wantErr(t, "verification without a card config", err, pasarela.KindInvalid, "no_gateway")
		e.MustSandbox()
		for _, tc := range []struct {
			number   string
			approved bool
			code     string
		}{
			{cardVisa, true, ""},
			{cardDeclined, false, processor.CodeCardDeclined},
			{cardInsufficient, false, processor.CodeInsufficientFunds},
			{cardExpired, false, processor.CodeExpiredCard},
			{cardBadCVC, false, processor.CodeIncorrectCVC},
			{card3DS, false, core.CodeAuthenticationRequired},
		} {
			got, err := e.svc.CheckCardAt(e.app(), e.appID(), card(tc.number), true, "eur")
			if err != nil {
				t.Fatalf("%s: %v", tc.number, err)
			}
			if got.Brand != pasarela.BrandVisa || got.BIN != tc.number[:6] || got.Last4 != tc.number[12:] || !got.Verified ||
				got.Approved != tc.approved || got.Code != tc.code || (got.Message == "") != tc.approved {
				t.Errorf("%s: %+v, want approved %v code %q", tc.number, got, tc.approved, tc.code)
			}
		}
		_, err = e.svc.CheckCardAt(e.app(), e.appID(), card(cardVisa), true, "")
		wantErr(t, "verification without currency", err, pasarela.KindInvalid, "required")
		if n := e.count(`SELECT COUNT(*) FROM stored_cards`); n != 0 {
			t.Errorf("checking cards stored %d", n)
		}
	})
}

// TestVerificationReleasesHold: an approved verification's hold is released
// at once, and a processor that cannot be reached refuses the save as
// unavailable, storing nothing.
func TestVerificationReleasesHold(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustConfig("fake", 1, nil)
		e.MustSaveCard("held", cardVisa, true)
		if a, c := e.fake.Calls("Authorize"), e.fake.Calls("Cancel"); a != 1 || c != 1 {
			t.Errorf("verification: %d authorizations and %d cancels, want 1 of each", a, c)
		}
		e.MustSaveCard("unverified", cardVisa, false)
		if a := e.fake.Calls("Authorize"); a != 1 {
			t.Errorf("a save without verification authorized: %d calls in all", a)
		}
		e.fake.set(fakeError)
		_, err := e.svc.SaveCard(e.app(), e.appID(), core.StoredCardInput{Reference: "unreachable", Card: card(cardVisa),
			Verify: true, Currency: "EUR"})
		wantErr(t, "unreachable processor", err, pasarela.KindUnavailable, "processor_error")
		if n := e.count(`SELECT COUNT(*) FROM stored_cards`); n != 2 {
			t.Errorf("%d stored cards, want the 2 saved", n)
		}
	})
}

// TestUpdateDeleteStoredCard: a renewed expiry is recorded and travels with
// the next charge; a past or impossible expiry is refused; a deleted card
// is gone.
func TestUpdateDeleteStoredCard(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		sc := e.MustSaveCard("renewed", cardVisa, false)
		e.clock.Advance(3600e9)
		got, err := e.svc.UpdateStoredCard(e.app(), e.appID(), "renewed", 3, 47)
		if err != nil || got.Card.ExpMonth != 3 || got.Card.ExpYear != 2047 || got.Card.Token != sc.Card.Token ||
			!got.UpdatedAt.Equal(e.clock.Now()) || !got.CreatedAt.Equal(sc.CreatedAt) {
			t.Fatalf("update: %+v, %v", got, err)
		}
		now := e.clock.Now()
		for _, tc := range []struct {
			name        string
			month, year int
			code        string
		}{
			{"month 13", 13, 2047, "expiry"},
			{"month 0", 0, 2047, "expiry"},
			{"last month", int(now.AddDate(0, -1, 0).Month()), now.AddDate(0, -1, 0).Year(), "expired"},
			{"year 2101", 1, 2101, "expiry"},
		} {
			_, err := e.svc.UpdateStoredCard(e.app(), e.appID(), "renewed", tc.month, tc.year)
			wantErr(t, tc.name, err, pasarela.KindInvalid, tc.code)
		}
		if _, err := e.svc.UpdateStoredCard(e.app(), e.appID(), "renewed", int(now.Month()), now.Year()); err != nil {
			t.Errorf("a card expiring this month: %v", err)
		}
		if _, err := e.svc.UpdateStoredCard(e.app(), e.appID(), "renewed", 3, 2047); err != nil {
			t.Fatal(err)
		}
		p := e.MustPayment(core.PaymentInput{})
		c, err := e.svc.PayWithStoredCard(e.ctx, p.CheckoutToken, "renewed")
		if err != nil || c.Payment.Card.ExpMonth != 3 || c.Payment.Card.ExpYear != 2047 {
			t.Errorf("charge after the update: %+v, %v", c, err)
		}
		_, err = e.svc.UpdateStoredCard(e.app(), e.appID(), "nobody", 3, 2047)
		wantErr(t, "update of an unknown reference", err, pasarela.KindNotFound, "not_found")

		if err := e.svc.DeleteStoredCard(e.app(), e.appID(), "renewed"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.StoredCardByReference(e.app(), e.appID(), "renewed")
		wantErr(t, "read after delete", err, pasarela.KindNotFound, "not_found")
		err = e.svc.DeleteStoredCard(e.app(), e.appID(), "renewed")
		wantErr(t, "delete again", err, pasarela.KindNotFound, "not_found")
		// The payment keeps what it recorded of the card.
		if got := e.MustGet(p.ID); got.Card == nil || got.Card.Token != sc.Card.Token {
			t.Errorf("the payment's card after the stored card was deleted: %+v", got.Card)
		}
		// The reference is free again.
		e.MustSaveCard("renewed", cardMastercard, true)
	})
}

// TestPayWithStoredCard charges pending payments with stored cards as the
// typed cards would be: completed with its capture in the ledger, declined
// back to pending, 3-D Secure waiting for the buyer; only at the card's own
// config, and only for the payment's application.
func TestPayWithStoredCard(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		other := e.MustSandbox()
		e.MustSaveCard("visa", cardVisa, true)
		e.MustSaveCard("declines", cardDeclined, false)
		e.MustSaveCard("3ds", card3DS, false)
		visa, err := e.svc.StoredCardByReference(e.app(), e.appID(), "visa")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			ref    string
			status pasarela.PaymentStatus
			code   string
		}{
			{"visa", pasarela.StatusCompleted, ""},
			{"declines", pasarela.StatusPending, processor.CodeCardDeclined},
			{"3ds", pasarela.StatusRequiresAction, ""},
		} {
			sc, err := e.svc.StoredCardByReference(e.app(), e.appID(), tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			// The payment allows both configs: the card's own is used.
			p := e.MustPayment(core.PaymentInput{Description: tc.ref})
			c, err := e.svc.PayWithStoredCard(e.ctx, p.CheckoutToken, tc.ref)
			if err != nil {
				t.Fatalf("%s: %v", tc.ref, err)
			}
			pay := e.MustGet(p.ID).Payment
			if c.Payment.Status != tc.status || pay.Status != tc.status || pay.FailureCode != tc.code {
				t.Errorf("%s: %s %q, want %s %q", tc.ref, pay.Status, pay.FailureCode, tc.status, tc.code)
			}
			if pay.Card == nil || *pay.Card != sc.Card || pay.GatewayConfig != sc.GatewayConfig {
				t.Errorf("%s: charged %+v at config %d, want the stored %+v at %d", tc.ref, pay.Card, pay.GatewayConfig,
					sc.Card, sc.GatewayConfig)
			}
			switch tc.status {
			case pasarela.StatusCompleted:
				if pay.Captured != pay.Amount || len(e.postings(p.ID)) != 1 || e.postings(p.ID)[0] != "capture" {
					t.Errorf("%s: captured %d of %d, postings %v", tc.ref, pay.Captured, pay.Amount, e.postings(p.ID))
				}
			case pasarela.StatusPending:
				if len(e.postings(p.ID)) != 0 {
					t.Errorf("%s: a decline posted %v", tc.ref, e.postings(p.ID))
				}
				// The buyer's page may take another card.
				if c := e.MustPay(p.CheckoutToken, cardVisa); c.Payment.Status != pasarela.StatusCompleted {
					t.Errorf("%s: the typed card after the decline left %s", tc.ref, c.Payment.Status)
				}
			case pasarela.StatusRequiresAction:
				if c.Action != core.ActionChallenge {
					t.Errorf("%s: action %q", tc.ref, c.Action)
				}
				c, err := e.svc.ResumeCheckout(e.ctx, p.CheckoutToken, true)
				if err != nil || c.Payment.Status != pasarela.StatusCompleted || c.Payment.Captured != p.Amount {
					t.Errorf("%s: after the challenge: %+v, %v", tc.ref, c, err)
				}
			}
		}

		// A payment limited to another config cannot take the card, which
		// only its own config may charge; the payment stays payable.
		limited := e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{other.ID}})
		if visa.GatewayConfig == other.ID {
			limited = e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{cfg.ID}})
		}
		_, err = e.svc.PayWithStoredCard(e.ctx, limited.CheckoutToken, "visa")
		wantErr(t, "a payment that does not allow the card's config", err, pasarela.KindInvalid, "no_gateway")
		if got := e.MustGet(limited.ID).Payment; got.Status != pasarela.StatusPending {
			t.Errorf("the limited payment is %s", got.Status)
		}

		// A completed payment is not charged again.
		done := e.MustCompleted(core.PaymentInput{})
		_, err = e.svc.PayWithStoredCard(e.ctx, done.CheckoutToken, "visa")
		wantErr(t, "a paid payment", err, pasarela.KindInvalid, "not_payable")

		// Unknown references and page tokens are not found.
		p := e.MustPayment(core.PaymentInput{})
		_, err = e.svc.PayWithStoredCard(e.ctx, p.CheckoutToken, "nobody")
		wantErr(t, "an unknown reference", err, pasarela.KindNotFound, "not_found")
		_, err = e.svc.PayWithStoredCard(e.ctx, "pc_nothing", "visa")
		wantErr(t, "an unknown page", err, pasarela.KindNotFound, "not_found")

		// Another application's card of the same client is not found for
		// A's payment, and A's card is not found for B's payment.
		a2 := coretest.MustApplication(t, e.svc, e.A.Client.ID, "Alpha kiosk")
		if _, err := e.svc.CreateGatewayConfig(e.admin(), a2.ID, core.GatewayConfigInput{
			Gateway: pasarela.Set(sandbox.GatewayID), Name: pasarela.Set("kiosk")}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SaveCard(coretest.AppCtx(e.ctx, &a2.Application), a2.ID, core.StoredCardInput{Reference: "kiosk",
			Card: card(cardVisa)}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.PayWithStoredCard(e.ctx, p.CheckoutToken, "kiosk")
		wantErr(t, "another application's card", err, pasarela.KindNotFound, "not_found")
		bCfg := coretest.MustSandboxTenant(t, e.svc, "Gamma Shop")
		bPay, _, err := e.svc.CreatePayment(bCfg.AppCtx(e.ctx), bCfg.App.ID, core.PaymentInput{Amount: 500, Currency: "EUR"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.PayWithStoredCard(e.ctx, bPay.CheckoutToken, "visa")
		wantErr(t, "another client's payment", err, pasarela.KindNotFound, "not_found")
		for _, id := range []int64{p.ID} {
			if got := e.MustGet(id).Payment; got.Status != pasarela.StatusPending {
				t.Errorf("payment %d is %s after the refused charges", id, got.Status)
			}
		}
	})
}

// TestStoredCardIsolation: another client's admin and key, and another
// application's key of the same client, can neither read, change, delete
// nor charge A's stored card, through A's application or their own, and
// cannot plant one in A's application.
func TestStoredCardIsolation(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		mine := e.MustSaveCard("MINE", cardVisa, true)
		a2 := coretest.MustApplication(t, e.svc, e.A.Client.ID, "Alpha kiosk")
		callers := []struct {
			name   string
			ctx    context.Context
			ownApp int64
		}{
			{"B's admin", e.B.AdminCtx(e.ctx), e.B.App.ID},
			{"B's application key", e.B.AppCtx(e.ctx), e.B.App.ID},
			{"A's other application key", coretest.AppCtx(e.ctx, &a2.Application), a2.ID},
		}
		calls := []struct {
			name string
			call func(ctx context.Context, app int64) error
		}{
			{"StoredCardByReference", func(ctx context.Context, app int64) error {
				_, err := e.svc.StoredCardByReference(ctx, app, "MINE")
				return err
			}},
			{"UpdateStoredCard", func(ctx context.Context, app int64) error {
				_, err := e.svc.UpdateStoredCard(ctx, app, "MINE", 1, 2050)
				return err
			}},
			{"DeleteStoredCard", func(ctx context.Context, app int64) error {
				return e.svc.DeleteStoredCard(ctx, app, "MINE")
			}},
		}
		for _, c := range callers {
			for _, m := range calls {
				wantErr(t, c.name+": "+m.name+" on A's application", m.call(c.ctx, e.appID()), pasarela.KindNotFound, "not_found")
				wantErr(t, c.name+": "+m.name+" on its own application", m.call(c.ctx, c.ownApp), pasarela.KindNotFound, "not_found")
			}
			_, err := e.svc.SaveCard(c.ctx, e.appID(), core.StoredCardInput{Reference: "PLANTED", Card: card(cardVisa)})
			wantErr(t, c.name+": SaveCard on A's application", err, pasarela.KindNotFound, "not_found")
			_, err = e.svc.CheckCardAt(c.ctx, e.appID(), card(cardVisa), true, "EUR")
			wantErr(t, c.name+": CheckCardAt on A's application", err, pasarela.KindNotFound, "not_found")
		}
		// A payment of A's other application cannot use the card either.
		if _, err := e.svc.CreateGatewayConfig(e.admin(), a2.ID, core.GatewayConfigInput{
			Gateway: pasarela.Set(sandbox.GatewayID), Name: pasarela.Set("kiosk")}); err != nil {
			t.Fatal(err)
		}
		p, _, err := e.svc.CreatePayment(coretest.AppCtx(e.ctx, &a2.Application), a2.ID, core.PaymentInput{Amount: 700, Currency: "EUR"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.PayWithStoredCard(e.ctx, p.CheckoutToken, "MINE")
		wantErr(t, "A's card for the other application's payment", err, pasarela.KindNotFound, "not_found")

		got, err := e.svc.StoredCardByReference(e.admin(), e.appID(), "MINE")
		if err != nil || *got != *mine {
			t.Errorf("A's card after the attempts: %+v, %v; want %+v", got, err, mine)
		}
		if n := e.count(`SELECT COUNT(*) FROM stored_cards`); n != 1 {
			t.Errorf("%d stored cards, want A's one", n)
		}
	})
}

// TestDeleteConfigWithStoredCards: a gateway config stored cards were saved
// with is not deleted under them (their tokens are its processor's); once
// they are deleted it is. An application goes with its stored cards.
func TestDeleteConfigWithStoredCards(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		e.MustSaveCard("one", cardVisa, false)
		e.MustSaveCard("two", cardMastercard, false)
		err := e.svc.DeleteGatewayConfig(e.admin(), e.appID(), cfg.ID)
		wantErr(t, "delete a config with stored cards", err, pasarela.KindConflict, "gateway_has_stored_cards", "stored cards")
		if n := pasarela.AsError(err).Params["stored_cards"]; n != "2" {
			t.Errorf("the refusal counts %q stored cards, want 2", n)
		}
		for _, ref := range []string{"one", "two"} {
			if err := e.svc.DeleteStoredCard(e.admin(), e.appID(), ref); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.svc.DeleteGatewayConfig(e.admin(), e.appID(), cfg.ID); err != nil {
			t.Errorf("delete the config once its cards are gone: %v", err)
		}

		a2 := coretest.MustApplication(t, e.svc, e.A.Client.ID, "Alpha kiosk")
		if _, err := e.svc.CreateGatewayConfig(e.admin(), a2.ID, core.GatewayConfigInput{
			Gateway: pasarela.Set(sandbox.GatewayID), Name: pasarela.Set("kiosk")}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SaveCard(coretest.AppCtx(e.ctx, &a2.Application), a2.ID, core.StoredCardInput{Reference: "kiosk",
			Card: card(cardVisa)}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteApplication(e.admin(), a2.ID); err != nil {
			t.Fatalf("delete an application with a stored card: %v", err)
		}
		if n := e.count(`SELECT COUNT(*) FROM stored_cards`); n != 0 {
			t.Errorf("%d stored cards left after their application was deleted", n)
		}
	})
}
