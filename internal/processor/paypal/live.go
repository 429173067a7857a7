package paypal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
)

// paymentAction is PayPal's name for capture now (Sale) or hold
// (Authorization).
func paymentAction(capture bool) string {
	if capture {
		return "Sale"
	}
	return "Authorization"
}

// setExpressCheckout asks PayPal for a token. PayPal sends the buyer back to
// ReturnURL either way: with token and PayerID when they approved, with the
// token only when they canceled, and Resume asks PayPal which it was.
func (p *Processor) setExpressCheckout(ctx context.Context, cfg processor.Config, ch processor.Charge, amt string) (string, processor.Result, error) {
	cred, err := credentialsOf(cfg)
	if err != nil {
		return "", processor.Result{}, err
	}
	if ch.ReturnURL == "" {
		return "", processor.Result{}, pasarela.Invalid("return_url", "required", "is required: PayPal sends the buyer back to it")
	}
	params := url.Values{
		"RETURNURL":                      {ch.ReturnURL},
		"CANCELURL":                      {ch.ReturnURL},
		"PAYMENTREQUEST_0_AMT":           {amt},
		"PAYMENTREQUEST_0_CURRENCYCODE":  {strings.ToUpper(ch.Currency)},
		"PAYMENTREQUEST_0_PAYMENTACTION": {paymentAction(ch.Capture)},
		// CUSTOM rather than INVNUM: a buyer may retry one payment, and
		// PayPal can be set to refuse a repeated invoice number.
		"PAYMENTREQUEST_0_CUSTOM": {ch.Reference},
		"NOSHIPPING":              {"1"},
	}
	if d := cleanMessage(ch.Description); d != "" {
		if r := []rune(d); len(r) > 127 {
			d = string(r[:127])
		}
		params.Set("PAYMENTREQUEST_0_DESC", d)
	}
	v, err := p.call(ctx, cred, "SetExpressCheckout", params)
	if err != nil {
		res, err := outcomeOf(err, "")
		return "", res, err
	}
	token := v.Get("TOKEN")
	if token == "" {
		return "", processor.Result{}, unavailable("SetExpressCheckout", errors.New("the answer has no TOKEN"))
	}
	return token, processor.Result{}, nil
}

// begin gives a money-moving call its MSGSUBID, PayPal's idempotency key,
// and stores it before the call. If the answer is lost, the record keeps
// it, and the same operation tried again reuses it: PayPal then answers
// the first call's result instead of moving the money twice. The interface
// has no idempotency key of its own, so "the same operation" is the same
// kind and amount on the same charge; a second, intended refund of the same
// amount after a lost answer is therefore taken as the retry, which can
// refund too little but never too much.
//
// With the core's idempotency key (key, "" for none) the MSGSUBID is
// derived from it instead, so that even a retry from a process that never
// saw the record's pending id (the reconciler after a crash) reuses it.
func (p *Processor) begin(ctx context.Context, c *sandbox.ChargeRecord, op, key string) (string, error) {
	if key != "" {
		id := msgSubID(key)
		if c.Remote[remotePendingOp] == op && c.Remote[remotePendingID] == id {
			return id, nil
		}
		c.Remote[remotePendingOp], c.Remote[remotePendingID] = op, id
		return id, p.book.Put(ctx, c)
	}
	if c.Remote[remotePendingOp] == op && c.Remote[remotePendingID] != "" {
		return c.Remote[remotePendingID], nil
	}
	c.Remote[remotePendingOp], c.Remote[remotePendingID] = op, sandbox.NewID("", 32)
	return c.Remote[remotePendingID], p.book.Put(ctx, c)
}

// msgSubID turns an idempotency key into a MSGSUBID, which PayPal limits to
// 38 characters: short keys as they are (readable in PayPal's logs), longer
// ones hashed.
func msgSubID(key string) string {
	if len(key) <= 38 {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// recoverPay asks PayPal how a charge whose DoExpressCheckoutPayment answer
// was lost ended (GetExpressCheckoutDetails' CHECKOUTSTATUS), and records
// it: paid, the transaction id PayPal reports is kept and the charge is
// captured or authorized as it asked; failed, it is declined; not begun,
// it still waits for the buyer and a Resume sends the payment again with
// the same MSGSUBID.
func (p *Processor) recoverPay(ctx context.Context, cfg processor.Config, ref string) (processor.Result, error) {
	cred, err := credentialsOf(cfg)
	if err != nil {
		return processor.Result{}, err
	}
	defer p.book.Lock(ref)()
	c, err := p.book.Get(ctx, ref)
	if err != nil {
		return processor.Result{}, err
	}
	if c.Status != processor.RequiresAction || c.Remote[remotePendingOp] != "pay" {
		return c.Result(), nil // another call recorded the outcome meanwhile
	}
	return p.recoverPayLocked(ctx, cred, c)
}

// recoverPayLocked is recoverPay with c loaded and locked.
func (p *Processor) recoverPayLocked(ctx context.Context, cred credentials, c *sandbox.ChargeRecord) (processor.Result, error) {
	v, err := p.call(ctx, cred, "GetExpressCheckoutDetails", url.Values{"TOKEN": {c.Ref}})
	if err != nil {
		return processor.Result{}, &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "processor_unavailable",
			Message: "PayPal did not say how the payment stands; try again later", Err: err}
	}
	switch v.Get("CHECKOUTSTATUS") {
	case "PaymentActionCompleted":
		txn := v.Get("PAYMENTREQUEST_0_TRANSACTIONID")
		if txn == "" {
			return processor.Result{}, unavailable("GetExpressCheckoutDetails", errors.New("a completed checkout without PAYMENTREQUEST_0_TRANSACTIONID"))
		}
		settle(c)
		if c.Capture {
			c.Remote[remoteTransaction] = txn
		} else {
			c.Remote[remoteAuthorization] = txn
		}
		_ = c.Complete(true, "", "")
	case "PaymentActionFailed":
		settle(c)
		_ = c.Complete(false, processor.CodeCardDeclined, "PayPal declined the payment.")
	case "PaymentActionInProgress":
		return processor.Result{}, unavailable("GetExpressCheckoutDetails", errors.New("the payment is still in progress at PayPal"))
	default: // PaymentActionNotInitiated: the payment never reached PayPal.
		return c.Result(), nil
	}
	if err := p.book.Put(ctx, c); err != nil {
		return processor.Result{}, err
	}
	return c.Result(), nil
}

// settle forgets the pending call: PayPal answered it, yes or no.
func settle(c *sandbox.ChargeRecord) {
	delete(c.Remote, remotePendingOp)
	delete(c.Remote, remotePendingID)
}

// refused turns a call's error on charge c into the answer. PayPal's
// refusal settles the pending call, is kept on the record by keep (when it
// ends the charge) and is answered as a decline, or as an error when it is
// the config's credentials PayPal refuses. Any other error leaves the record
// as it is, pending call included, so that a retry reuses its MSGSUBID.
func (p *Processor) refused(ctx context.Context, c *sandbox.ChargeRecord, err error, keep func(processor.Result)) (processor.Result, error) {
	var apiErr *apiError
	if !errors.As(err, &apiErr) {
		return processor.Result{}, err
	}
	res, outErr := outcomeOf(err, c.Ref)
	settle(c)
	if outErr == nil && keep != nil {
		keep(res)
	}
	if err := p.book.Put(ctx, c); err != nil {
		return processor.Result{}, err
	}
	return res, outErr
}

// completeLive does the approved buyer step of a live charge. c is locked.
func (p *Processor) completeLive(ctx context.Context, cfg processor.Config, c *sandbox.ChargeRecord) (processor.Result, error) {
	cred, err := credentialsOf(cfg)
	if err != nil {
		return processor.Result{}, err
	}
	// A token PayPal refuses (expired, unknown) or a payment it declines
	// can never be paid: the charge ends declined.
	decline := func(res processor.Result) {
		_ = c.Complete(false, res.Code, res.Message)
		c.Retryable = res.Retryable
	}
	details, err := p.call(ctx, cred, "GetExpressCheckoutDetails", url.Values{"TOKEN": {c.Ref}})
	if err != nil {
		return p.refused(ctx, c, err, decline)
	}
	payer := details.Get("PAYERID")
	if payer == "" {
		_ = c.Complete(false, processor.CodeBuyerCanceled, "The buyer has not approved the payment at PayPal.")
		if err := p.book.Put(ctx, c); err != nil {
			return processor.Result{}, err
		}
		return c.Result(), nil
	}
	amt, err := formatAmount(c.Amount, c.Currency)
	if err != nil {
		return processor.Result{}, err
	}
	msgID, err := p.begin(ctx, c, "pay", "")
	if err != nil {
		return processor.Result{}, err
	}
	v, err := p.call(ctx, cred, "DoExpressCheckoutPayment", url.Values{
		"TOKEN":                          {c.Ref},
		"PAYERID":                        {payer},
		"PAYMENTREQUEST_0_PAYMENTACTION": {paymentAction(c.Capture)},
		"PAYMENTREQUEST_0_AMT":           {amt},
		"PAYMENTREQUEST_0_CURRENCYCODE":  {c.Currency},
		"MSGSUBID":                       {msgID},
	})
	if apiErr := (*apiError)(nil); errors.As(err, &apiErr) && apiErr.code == "10415" {
		// PayPal already completed a payment for this token: an earlier
		// call's answer was lost. Its outcome is recovered, never paid again.
		return p.recoverPayLocked(ctx, cred, c)
	}
	if err != nil {
		return p.refused(ctx, c, err, decline)
	}
	txn := v.Get("PAYMENTINFO_0_TRANSACTIONID")
	if txn == "" {
		return processor.Result{}, unavailable("DoExpressCheckoutPayment", errors.New("the answer has no PAYMENTINFO_0_TRANSACTIONID"))
	}
	settle(c)
	switch v.Get("PAYMENTINFO_0_PAYMENTSTATUS") {
	case "Denied", "Failed":
		_ = c.Complete(false, processor.CodeCardDeclined, "PayPal declined the payment.")
	default:
		// A Sale that PayPal leaves Pending (an eCheck, a review) counts as
		// captured: the buyer has paid, and PayPal may still reverse it
		// later as a card payment may be charged back; Status tells.
		if c.Capture {
			c.Remote[remoteTransaction] = txn
		} else {
			c.Remote[remoteAuthorization] = txn
		}
		_ = c.Complete(true, "", "")
	}
	if err := p.book.Put(ctx, c); err != nil {
		return processor.Result{}, err
	}
	return c.Result(), nil
}

// captureLive captures with DoCapture. COMPLETETYPE Complete closes the
// authorization, as the one-capture rule says.
func (p *Processor) captureLive(ctx context.Context, cfg processor.Config, c *sandbox.ChargeRecord, amount int64) (processor.Result, error) {
	cred, err := credentialsOf(cfg)
	if err != nil {
		return processor.Result{}, err
	}
	amt, err := formatAmount(amount, c.Currency)
	if err != nil {
		return processor.Result{}, err
	}
	msgID, err := p.begin(ctx, c, "capture:"+strconv.FormatInt(amount, 10), "")
	if err != nil {
		return processor.Result{}, err
	}
	v, err := p.call(ctx, cred, "DoCapture", url.Values{
		"AUTHORIZATIONID": {c.Remote[remoteAuthorization]},
		"AMT":             {amt},
		"CURRENCYCODE":    {c.Currency},
		"COMPLETETYPE":    {"Complete"},
		"MSGSUBID":        {msgID},
	})
	if err != nil {
		return p.refused(ctx, c, err, nil)
	}
	txn := v.Get("TRANSACTIONID")
	if txn == "" {
		return processor.Result{}, unavailable("DoCapture", errors.New("the answer has no TRANSACTIONID"))
	}
	settle(c)
	c.Remote[remoteTransaction] = txn
	if err := c.TakeCapture(amount); err != nil {
		return processor.Result{}, err
	}
	if err := p.book.Put(ctx, c); err != nil {
		return processor.Result{}, err
	}
	return processor.Result{Outcome: processor.Captured, Ref: c.Ref, Amount: amount}, nil
}

// voidLive releases an authorization with DoVoid. Voiding is harmless to
// repeat, so it needs no MSGSUBID, and an authorization PayPal already
// voided (error 10600: an earlier answer was lost) counts as done.
func (p *Processor) voidLive(ctx context.Context, cfg processor.Config, c *sandbox.ChargeRecord) (processor.Result, error) {
	cred, err := credentialsOf(cfg)
	if err != nil {
		return processor.Result{}, err
	}
	_, err = p.call(ctx, cred, "DoVoid", url.Values{"AUTHORIZATIONID": {c.Remote[remoteAuthorization]}})
	if apiErr := (*apiError)(nil); errors.As(err, &apiErr) && apiErr.code == "10600" {
		err = nil
	}
	if err != nil {
		return p.refused(ctx, c, err, nil)
	}
	if err := c.Cancel(); err != nil {
		return processor.Result{}, err
	}
	if err := p.book.Put(ctx, c); err != nil {
		return processor.Result{}, err
	}
	return processor.Result{Outcome: processor.Canceled, Ref: c.Ref, Amount: c.Amount}, nil
}

// refundLive refunds with RefundTransaction: Full when it returns all that
// was captured at once (PayPal refuses an amount with Full), else Partial.
func (p *Processor) refundLive(ctx context.Context, cfg processor.Config, c *sandbox.ChargeRecord, amount int64, key string) (processor.Result, error) {
	cred, err := credentialsOf(cfg)
	if err != nil {
		return processor.Result{}, err
	}
	params := url.Values{"TRANSACTIONID": {c.Remote[remoteTransaction]}, "REFUNDTYPE": {"Full"}}
	if c.Refunded > 0 || amount != c.Captured {
		amt, err := formatAmount(amount, c.Currency)
		if err != nil {
			return processor.Result{}, err
		}
		params.Set("REFUNDTYPE", "Partial")
		params.Set("AMT", amt)
		params.Set("CURRENCYCODE", c.Currency)
	}
	msgID, err := p.begin(ctx, c, "refund:"+strconv.FormatInt(amount, 10), key)
	if err != nil {
		return processor.Result{}, err
	}
	params.Set("MSGSUBID", msgID)
	if _, err := p.call(ctx, cred, "RefundTransaction", params); err != nil {
		return p.refused(ctx, c, err, nil)
	}
	settle(c)
	if _, err := c.RefundKeyed(key, amount); err != nil {
		return processor.Result{}, err
	}
	if err := p.book.Put(ctx, c); err != nil {
		return processor.Result{}, err
	}
	return processor.Result{Outcome: processor.Refunded, Ref: c.Ref, Amount: amount}, nil
}

// statusLive asks PayPal how the payment stands now, so that what happened
// on PayPal's side alone (a refund from its dashboard, an expired
// authorization, a reversal) reaches the core. Amounts PayPal does not
// report come from the record.
func (p *Processor) statusLive(ctx context.Context, cfg processor.Config, c *sandbox.ChargeRecord) (processor.Result, error) {
	cred, err := credentialsOf(cfg)
	if err != nil {
		return processor.Result{}, err
	}
	id := c.Remote[remoteTransaction]
	if id == "" {
		id = c.Remote[remoteAuthorization]
	}
	v, err := p.call(ctx, cred, "GetTransactionDetails", url.Values{"TRANSACTIONID": {id}})
	if err != nil {
		var apiErr *apiError
		if errors.As(err, &apiErr) {
			// A status is no payment to decline: PayPal not answering it
			// is PayPal being unavailable.
			return processor.Result{}, &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "processor_unavailable",
				Message: "PayPal did not say how the payment stands; try again later", Err: err}
		}
		return processor.Result{}, err
	}
	local := c.Result()
	res := processor.Result{Ref: c.Ref}
	switch status := v.Get("PAYMENTSTATUS"); status {
	case "Pending":
		if v.Get("PENDINGREASON") == "authorization" {
			return local, nil
		}
		local.Message = "PayPal holds the payment pending: " + cleanMessage(v.Get("PENDINGREASON"))
		return local, nil
	case "Completed", "Processed", "Completed-Funds-Held", "Canceled-Reversal":
		if c.Status == processor.Captured {
			return local, nil
		}
		// Captured on PayPal's side only (its dashboard).
		amt, err := parseAmount(v.Get("AMT"), c.Currency)
		if err != nil {
			return processor.Result{}, unavailable("GetTransactionDetails", err)
		}
		res.Outcome, res.Amount = processor.Captured, amt
	case "Refunded", "Partially-Refunded", "Reversed":
		res.Outcome, res.Amount = processor.Refunded, c.Refunded
		if status != "Partially-Refunded" {
			res.Amount = max(c.Captured, c.Refunded)
		}
		if status == "Reversed" {
			res.Message = "PayPal reversed the payment (" + cleanMessage(v.Get("REASONCODE")) + ")."
		}
	case "Voided", "Expired":
		res.Outcome, res.Amount = processor.Canceled, c.Amount
	case "Denied", "Failed":
		res.Outcome, res.Code, res.Message = processor.Declined, processor.CodeCardDeclined, "PayPal reports the payment as "+strings.ToLower(status)+"."
	default: // In-Progress, None: nothing newer than the record.
		return local, nil
	}
	return res, nil
}
