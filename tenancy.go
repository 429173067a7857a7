package pasarela

import (
	"net/netip"
	"strconv"
	"time"
)

// ClientStatus is the lifecycle state of a merchant organization.
type ClientStatus string

// Client statuses.
const (
	ClientActive    ClientStatus = "active"
	ClientVerifying ClientStatus = "verifying"
	ClientSuspended ClientStatus = "suspended"
)

// Client is a merchant organization: the tenant every other noun belongs to.
type Client struct {
	ID        string
	Name      string
	Email     string
	Code      string // entity code used by the Kashpay face, e.g. "com.cascade"
	Status    ClientStatus
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Role is what a user may do inside its client.
type Role string

// User roles.
const (
	RoleAdmin    Role = "admin"    // everything in the client
	RoleManager  Role = "manager"  // all payments of the client
	RoleTerminal Role = "terminal" // creates and sees its own transactions
	RoleViewer   Role = "viewer"   // read only
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleManager, RoleTerminal, RoleViewer:
		return true
	}
	return false
}

// User is a person of a client.
type User struct {
	ID           int64
	UUID         string
	ClientID     string
	Username     string
	Email        string
	FirstName    *string
	LastName     *string
	Roles        []Role
	PasswordHash string // argon2id, PHC string format; never leaves the core
	// DisabledAt is when an admin disabled the user, nil while it is
	// enabled. A disabled user is kept (its payments still name it) but
	// signs in nowhere and holds no session or token.
	DisabledAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Application is a client's integration: it owns payments and API keys.
type Application struct {
	ID        int64
	ClientID  string
	Name      string
	URL       *string
	Logo      *string
	ShopLogin string // Gestpay shopLogin
	KeyPrefix string // public part of the API key, used to find the row
	KeyHash   []byte // SHA-256 of the whole key; never leaves the core
	Pages     PageSettings
	Access    AccessSettings
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PageSettings say where the hosted page sends a buyer and who hears of
// each outcome. Empty strings are unset.
type PageSettings struct {
	SuccessURL string // the buyer, after a payment that succeeded (Gestpay's "positive response URL")
	FailureURL string // the buyer, after one that failed or was abandoned (Gestpay's "negative response URL")
	NotifyURL  string // the merchant's server, told of each outcome (Gestpay's "server to server URL")
	Language   string // the pages' default language, one the core accepts ("it"); "" for none
	// NotifyWebhook is the webhook endpoint the core keeps for NotifyURL
	// (0 when there is none), so that a change of the URL finds it again.
	// It is bookkeeping of the core: faces do not show it.
	NotifyWebhook int64
}

// AccessSettings say who may call, for the application, the protocols that
// name their shop in each request and check its caller's address (Gestpay's
// SOAP services, through core.AuthenticateShop), without its key. With no
// AllowedIPs the key is always required; with some, a caller from outside
// them is refused even with the key, and one from inside needs no key
// unless RequireKey is set. APIs that take the key alone (PayREST) do not
// read them: the key is their only credential.
type AccessSettings struct {
	AllowedIPs []netip.Prefix // masked prefixes; a single address is a /32 or /128
	RequireKey bool
}

// ListOptions are the paging and ordering of a list request.
type ListOptions struct {
	Limit  int
	Offset int
	Sort   []SortField
	// After, when not zero, pages by key (a cursor) instead of by offset:
	// the page holds the items that come after the item with this id in
	// the list's order, which must then be by id alone (ascending or
	// descending; none given is ascending), with Offset 0. A deep page
	// then costs what the first one does, and an item added meanwhile
	// neither repeats nor hides one of the next page, as with an offset.
	// To walk a list, pass the id of the last item of each page as the
	// next page's After. Only the lists that say so accept it (payments).
	After int64
}

// Total is how many items a list's filter matches. A list keeps its common
// totals in counters; a count it has to make by reading the matching items
// stops at a cap so that its cost stays bounded: Capped then says that
// Count is that cap and more items match.
type Total struct {
	Count  int
	Capped bool
}

// String is the total as a number, followed by "+" when Capped ("10000+").
func (t Total) String() string {
	s := strconv.Itoa(t.Count)
	if t.Capped {
		s += "+"
	}
	return s
}

// SortField is one key of an ordering. Field is always one of the whitelisted
// names of the resource, never raw input.
type SortField struct {
	Field string
	Desc  bool
}
