package pasarela

// GatewayOption describes one configuration option of a gateway, as the
// PayREST catalog (GET /gateway/{id}) shows it.
type GatewayOption struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"` // "string", "boolean", "integer" or "enum"
	Required    bool     `json:"required"`
	Secret      bool     `json:"secret"` // encrypted at rest, never returned in full
	Default     any      `json:"default,omitempty"`
	Enum        []string `json:"enum,omitempty"`
	Description string   `json:"description"`
}

// GatewayFlow is how a buyer pays with a gateway.
type GatewayFlow string

// Gateway flows.
const (
	// FlowCard: the checkout shows a card form; the card is tokenized at the
	// edge and the number and CVC go no further.
	FlowCard GatewayFlow = "card"
	// FlowRedirect: the buyer approves the payment on the processor's page.
	FlowRedirect GatewayFlow = "redirect"
	// FlowDeposit: the buyer sends crypto to an address derived for the
	// payment; a chain watcher sees it arrive. No checkout form charges it.
	FlowDeposit GatewayFlow = "deposit"
)

// Gateway is a catalog entry: a processor the gateway can route to, with
// the options a config of it takes.
type Gateway struct {
	ID   string
	Name string
	// Brand is the name buyers know the way of paying by ("PayPal"), for
	// the hosted checkout's button; empty when Name is already that.
	Brand   string
	Flow    GatewayFlow
	Options []GatewayOption
}
