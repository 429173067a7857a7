package pasarela

import (
	"time"

	"github.com/shopspring/decimal"
)

// Deposit is the crypto side of a payment a buyer pays on a blockchain: the
// payment holds the price (in fiat) and the status; the deposit holds what
// is due in the crypto currency, at a rate locked when it was created, the
// address it is paid to (derived from the merchant's own extended public
// key: the gateway never holds a private key) and what the chain shows.
//
// Status mapping (payment status → what it means for a deposit): pending,
// waiting for the buyer; processing, money seen, not yet confirmed enough;
// adjustment, confirmed but too little or too much beyond the tolerance;
// completed, confirmed and enough; expired, nobody paid in time; failed,
// paid only after expiry (Late) or never confirmed in the monitoring
// window; invalidated, cancelled while pending.
type Deposit struct {
	PaymentID     int64  `json:"payment_id"`
	ClientID      string `json:"-"`
	ApplicationID int64  `json:"-"`
	GatewayConfig int64  `json:"gateway_config"`
	// UserID is the user who created the deposit (0 for an application
	// key): a terminal user sees only its own deposits.
	UserID   int64  `json:"user_id"`
	Currency string `json:"currency"` // the crypto currency paid in
	Network  string `json:"network"`  // mainnet, testnet or regtest
	Chain    string `json:"chain"`    // the chain backend watching it
	KeyID    string `json:"-"`        // names the merchant key the address was derived from
	Index    uint32 `json:"derivation_index"`
	Address  string `json:"address"`
	// URI is the payment request a wallet reads (BIP21 "bitcoin:…?amount=",
	// EIP-681 "ethereum:…?value="): what the QR code holds.
	URI string `json:"uri"`
	// Amount is what the buyer must pay, in Currency: locked at creation,
	// never changed afterwards (merchants compare it on every callback).
	Amount decimal.Decimal `json:"amount"`
	// Rate is the price of one coin in the payment's fiat currency, locked
	// at creation, and Exchange the rate source it came from.
	Rate     decimal.Decimal `json:"rate"`
	Exchange string          `json:"exchange"`
	// Commission is the gateway config's commission on Amount, in
	// Currency; FiatWithdraw the percentage the merchant asked to receive
	// in fiat.
	Commission   decimal.Decimal `json:"commission"`
	FiatWithdraw int             `json:"fiat_withdraw"`
	// Received is the sum of the payments to Address the chain shows, and
	// Confirmations the fewest confirmations among them.
	Received      decimal.Decimal `json:"received"`
	Confirmations int             `json:"confirmations"`
	TxIDs         []string        `json:"txids"`
	// Late is set when money arrived after the deposit expired: it is
	// recorded, never silently lost, and the payment fails.
	Late bool `json:"late"`
	// ExpiresAt ends the time the buyer has to pay (the locked rate's
	// life); MonitorUntil ends the time the chain is watched for it.
	ExpiresAt    time.Time `json:"expires_at"`
	MonitorUntil time.Time `json:"monitor_until"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// DepositStatuses are the payment statuses a deposit can be in.
var DepositStatuses = []PaymentStatus{StatusPending, StatusProcessing, StatusAdjustment, StatusCompleted,
	StatusExpired, StatusFailed, StatusInvalidated, StatusRefunded, StatusPartiallyRefunded}
