package pasarela

import "time"

// PaymentType tells a one-off payment from a scheduled charge.
type PaymentType string

// Payment types.
const (
	PaymentSimple       PaymentType = "simple"
	PaymentSubscription PaymentType = "subscription"
	// PaymentDeposit is paid on a blockchain to an address of the
	// merchant's key: its Deposit holds the crypto side.
	PaymentDeposit PaymentType = "deposit"
)

// CardInput is card data as a buyer typed it. It exists only between the
// form that received it and the processor that tokenizes it: never stored,
// never logged.
type CardInput struct {
	Name     string
	Number   string // digits only once checked
	ExpMonth int
	ExpYear  int // four digits once checked
	CVC      string
	// NameOptional says the card came through a channel that does not
	// collect the holder's name (a server-to-server API): it may be empty.
	// Pages a buyer types into always ask for it.
	NameOptional bool
}

// Card is what the gateway keeps of a card: never the number or the CVC.
type Card struct {
	Token string
	// BIN is the number's first six digits, which PCI DSS lets a gateway
	// keep with the last four (masked numbers and tokens show them).
	BIN      string
	Last4    string
	Brand    string
	ExpMonth int
	ExpYear  int
}

// Payment is money in: what a buyer owes a merchant's application.
type Payment struct {
	ID            int64
	ClientID      string
	ApplicationID int64
	TransactionID string // public, unguessable reference
	Status        PaymentStatus
	Type          PaymentType
	Amount        int64 // minor units of Currency
	Currency      string
	Captured      int64 // minor units captured
	Refunded      int64 // minor units refunded (completed refunds)
	Description   string
	CustomerID    string // PayREST clientId: the merchant's customer reference
	CustomerEmail string
	MerchantRef   string // SekurePay order id, Gestpay shopTransactionId
	Language      string
	Flags         []string
	AskForDetails bool
	// SingleAttempt is set for a payment whose hosted page gives the buyer
	// one try: its first decline fails it, instead of inviting another card
	// (as pages that send the buyer back to the merchant after any outcome
	// do).
	SingleAttempt bool
	// GatewayConfigs are the configs allowed for this payment (empty: all
	// enabled configs of the application).
	GatewayConfigs []int64
	GatewayConfig  int64 // the config chosen, once one was
	// Capture is "automatic" (take the money at once) or "manual" (hold it
	// for a later capture); empty means the gateway config's default.
	Capture       string
	CheckoutToken string // the hosted page of the payment itself (routed by weight)
	ProcessorRef  string // the processor's reference of the charge
	Card          *Card
	// AuthorizationCode is the issuer's approval code of the charge, when
	// its processor reported one.
	AuthorizationCode string
	FailureCode       string // the last attempt's decline code
	FailureMessage    string
	// Action is the buyer step a requires_action payment waits for
	// (processor.ActionChallenge or ActionApproval) and ActionURL where it
	// happens, when that is outside the gateway (live PayPal's page).
	Action      string
	ActionURL   string
	ParentID    int64
	ReturnURL   string
	CancelURL   string
	Metadata    map[string]string
	ExpiresAt   *time.Time
	CompletedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64 // bumped by every change; guards racing transitions

	// Items, Taxes and Shipping are the breakdown of an order (SekurePay):
	// Amount is their sum. A payment made without one has none of them.
	Items    []LineItem
	Taxes    []LineItem
	Shipping int64 // minor units
	// OrderFingerprint identifies the order as first sent (a hash of its
	// canonical form), so that the same order id sent again is told apart
	// from a different order reusing it. Empty for other payments.
	OrderFingerprint string

	// NotifyURL is where this payment's changes are sent, besides the
	// application's webhooks (an xpay transaction's callback), in the
	// webhook format NotifyFormat.
	NotifyURL    string
	NotifyFormat string
	// Deposit is the crypto side of a PaymentDeposit, when it was read
	// with the payment.
	Deposit *Deposit
}

// LineItem is one line of an order's breakdown: an item sold or a tax.
type LineItem struct {
	Description string
	Amount      int64 // minor units
}

// GatewayConfig is an application's configured instance of a processor.
type GatewayConfig struct {
	ID            int64
	ClientID      string
	ApplicationID int64
	Gateway       string // the catalog id, e.g. "sandbox"
	Name          string
	Code          string // generated UUID
	Weight        int    // share of routing among the payment's allowed configs
	Enabled       bool
	// Options holds every option, secrets included, in clear: the store
	// encrypts the secret ones (see SecretOptions) and never returns them to
	// a face in full.
	Options       map[string]any
	SecretOptions []string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// LinkStatus is the state of a payment link.
type LinkStatus string

// Payment link statuses.
const (
	LinkActive      LinkStatus = "active"
	LinkUsed        LinkStatus = "used"        // the payment was paid through it
	LinkInvalidated LinkStatus = "invalidated" // the payment was cancelled or paid elsewhere
)

// PaymentLink is a URL a buyer pays through, bound to one gateway config.
type PaymentLink struct {
	ID            int64
	ClientID      string
	ApplicationID int64
	PaymentID     int64
	Token         string // the unguessable part of /pay/{token}
	GatewayConfig int64
	Status        LinkStatus
	ReturnURL     string
	CancelURL     string
	ExpiresAt     time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Expired reports whether the link can no longer be used at now.
func (l *PaymentLink) Expired(now time.Time) bool { return !now.Before(l.ExpiresAt) }

// RefundStatus is the state of a refund.
type RefundStatus string

// Refund statuses.
const (
	RefundPending   RefundStatus = "pending" // sent to the processor
	RefundCompleted RefundStatus = "completed"
	RefundFailed    RefundStatus = "failed"
)

// Refund returns captured money to the buyer.
type Refund struct {
	ID             int64
	ClientID       string
	ApplicationID  int64
	PaymentID      int64
	Amount         int64
	Currency       string
	Reason         string
	Status         RefundStatus
	ProcessorRef   string
	FailureMessage string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}
