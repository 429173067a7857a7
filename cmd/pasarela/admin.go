package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// paymentOut is a payment as the operator commands print it with --json:
// the core's names, amounts in minor units as PayREST gives them.
type paymentOut struct {
	ID            int64       `json:"id"`
	ApplicationID int64       `json:"applicationId"`
	TransactionID string      `json:"transactionId"`
	Status        string      `json:"status"`
	Type          string      `json:"type"`
	Amount        int64       `json:"amount"`
	Currency      string      `json:"currency"`
	Captured      int64       `json:"capturedAmount"`
	Refunded      int64       `json:"refundedAmount"`
	Description   string      `json:"description,omitempty"`
	CustomerID    string      `json:"clientId,omitempty"`
	CustomerEmail string      `json:"clientEmail,omitempty"`
	MerchantRef   string      `json:"merchantRef,omitempty"`
	GatewayConfig int64       `json:"gatewayConfig,omitempty"`
	FailureCode   string      `json:"failureCode,omitempty"`
	CreatedAt     time.Time   `json:"createdAt"`
	CompletedAt   *time.Time  `json:"completedAt,omitempty"`
	Refunds       []refundOut `json:"refunds,omitempty"`
}

type refundOut struct {
	ID     int64  `json:"id"`
	Amount int64  `json:"amount"`
	Status string `json:"status"`
}

func toPaymentOut(p *pasarela.Payment) paymentOut {
	return paymentOut{ID: p.ID, ApplicationID: p.ApplicationID, TransactionID: p.TransactionID, Status: string(p.Status),
		Type: string(p.Type), Amount: p.Amount, Currency: p.Currency, Captured: p.Captured, Refunded: p.Refunded,
		Description: p.Description, CustomerID: p.CustomerID, CustomerEmail: p.CustomerEmail, MerchantRef: p.MerchantRef,
		GatewayConfig: p.GatewayConfig, FailureCode: p.FailureCode, CreatedAt: p.CreatedAt, CompletedAt: p.CompletedAt}
}

// appFlag is --app, the application whose payments a command reads.
func appFlag(fs interface {
	Int64Var(*int64, string, int64, string)
}, p *int64) {
	fs.Int64Var(p, "app", 0, "the application's id")
}

// PaymentListCommand is `pasarela payment list`: an application's
// payments, with the PayREST list's filters, sort and paging.
type PaymentListCommand struct {
	operator
	app                                 int64
	status, customer, transaction, sort string
	limit, offset                       int
	asJSON                              bool
}

// ParseFlags reads the application and the filters; --app is required.
func (c *PaymentListCommand) ParseFlags(args, environ []string) error {
	fs, err := c.flagSet("payment list", environ)
	if err != nil {
		return err
	}
	appFlag(fs, &c.app)
	fs.StringVar(&c.status, "status", "", "only payments in this status (pending, completed, refunded, …; comma-separated for several)")
	fs.StringVar(&c.customer, "client-id", "", "only payments of this customer reference (PayREST clientId)")
	fs.StringVar(&c.transaction, "transaction-id", "", "only the payment of this transaction id")
	fs.StringVar(&c.sort, "sort", "id_desc", "order: field_dir,… with id, amount, currency, status, created_at, completed_at")
	fs.IntVar(&c.limit, "limit", 20, "how many (1–100)")
	fs.IntVar(&c.offset, "offset", 0, "how many to skip")
	jsonFlag(fs, &c.asJSON)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if c.app <= 0 {
		return errors.New("payment list: --app is required")
	}
	return nil
}

// parseCoreSort reads field_dir,field_dir in the core's field names.
func parseCoreSort(s string) ([]pasarela.SortField, error) {
	var out []pasarela.SortField
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		field, dir := p, "asc"
		if i := strings.LastIndexByte(p, '_'); i >= 0 && (p[i+1:] == "asc" || p[i+1:] == "desc") {
			field, dir = p[:i], p[i+1:]
		}
		out = append(out, pasarela.SortField{Field: field, Desc: dir == "desc"})
	}
	return out, nil
}

// Run prints the page: a table, or a JSON array with --json; the total
// matching the filters comes last (on stderr with --json).
func (c *PaymentListCommand) Run(ctx context.Context) error {
	return c.withCore(ctx, func(svc *core.Service) error {
		actx, err := svc.OperatorAsApplication(ctx, c.app)
		if err != nil {
			return fmt.Errorf("application %d: %w", c.app, err)
		}
		sort, _ := parseCoreSort(c.sort)
		f := core.PaymentFilter{CustomerID: c.customer, TransactionID: c.transaction}
		if sts := strings.Split(c.status, ","); len(sts) > 1 {
			f.Statuses = sts
		} else {
			f.Status = c.status
		}
		ps, total, err := svc.ListPayments(actx, c.app, f, pasarela.ListOptions{Limit: c.limit, Offset: c.offset, Sort: sort})
		if err != nil {
			return err
		}
		if c.asJSON {
			out := make([]paymentOut, len(ps))
			for i := range ps {
				out[i] = toPaymentOut(&ps[i])
			}
			fmt.Fprintf(c.stderr, "%s payments match\n", total)
			return c.printJSON(out)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tAMOUNT\tCURRENCY\tCREATED\tTRANSACTION\tDESCRIPTION")
		for _, p := range ps {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\n", p.ID, p.Status, p.Amount, p.Currency,
				p.CreatedAt.UTC().Format(time.RFC3339), p.TransactionID, p.Description)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%d of %s payments (amounts in minor units)\n", len(ps), total)
		return nil
	})
}

// PaymentGetCommand is `pasarela payment get`: one payment with its
// refunds.
type PaymentGetCommand struct {
	operator
	app, id int64
	asJSON  bool
}

// ParseFlags reads the application and the payment; both are required.
func (c *PaymentGetCommand) ParseFlags(args, environ []string) error {
	fs, err := c.flagSet("payment get", environ)
	if err != nil {
		return err
	}
	appFlag(fs, &c.app)
	fs.Int64Var(&c.id, "id", 0, "the payment's id")
	jsonFlag(fs, &c.asJSON)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if c.app <= 0 || c.id <= 0 {
		return errors.New("payment get: --app and --id are required")
	}
	return nil
}

// Run prints the payment.
func (c *PaymentGetCommand) Run(ctx context.Context) error {
	return c.withCore(ctx, func(svc *core.Service) error {
		actx, err := svc.OperatorAsApplication(ctx, c.app)
		if err != nil {
			return fmt.Errorf("application %d: %w", c.app, err)
		}
		d, err := svc.GetPayment(actx, c.app, c.id)
		if err != nil {
			return fmt.Errorf("payment %d of application %d: %w", c.id, c.app, err)
		}
		out := toPaymentOut(d.Payment)
		for _, r := range d.Refunds {
			out.Refunds = append(out.Refunds, refundOut{ID: r.ID, Amount: r.Amount, Status: string(r.Status)})
		}
		if c.asJSON {
			return c.printJSON(out)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "payment\t%d (application %d)\n", out.ID, out.ApplicationID)
		fmt.Fprintf(tw, "transaction\t%s\n", out.TransactionID)
		fmt.Fprintf(tw, "status\t%s\n", out.Status)
		fmt.Fprintf(tw, "amount\t%d %s (captured %d, refunded %d; minor units)\n", out.Amount, out.Currency, out.Captured, out.Refunded)
		fmt.Fprintf(tw, "description\t%s\n", out.Description)
		fmt.Fprintf(tw, "created\t%s\n", out.CreatedAt.UTC().Format(time.RFC3339))
		if out.CompletedAt != nil {
			fmt.Fprintf(tw, "completed\t%s\n", out.CompletedAt.UTC().Format(time.RFC3339))
		}
		for _, r := range out.Refunds {
			fmt.Fprintf(tw, "refund\t%d: %d %s\n", r.ID, r.Amount, r.Status)
		}
		return tw.Flush()
	})
}

// UserResetPasswordCommand is `pasarela user reset-password`: a new
// password for a user who lost theirs, under the password policy; the
// user is signed out everywhere.
type UserResetPasswordCommand struct {
	operator
	login, password string
}

// ParseFlags reads the user and the password; both are required.
func (c *UserResetPasswordCommand) ParseFlags(args, environ []string) error {
	fs, err := c.flagSet("user reset-password", environ)
	if err != nil {
		return err
	}
	fs.StringVar(&c.login, "user", "", "the user's username or email")
	fs.StringVar(&c.password, "password", "", "the new password")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if c.login == "" || c.password == "" {
		return errors.New("user reset-password: --user and --password are required")
	}
	return nil
}

// Run sets the password.
func (c *UserResetPasswordCommand) Run(ctx context.Context) error {
	return c.withCore(ctx, func(svc *core.Service) error {
		login := c.login
		if strings.Contains(login, "@") {
			login = strings.ToLower(login) // emails are kept in lower case
		}
		u, err := svc.OperatorResetPassword(ctx, login, c.password)
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			return fmt.Errorf("no user %s", c.login)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "password of user %s (id %d, client %s) reset; its sessions were signed out\n", u.Username, u.ID, u.ClientID)
		return nil
	})
}

// AppRotateKeyCommand is `pasarela app rotate-key`: a new API key for an
// application (the old one fails at once), shown once.
type AppRotateKeyCommand struct {
	operator
	id     int64
	asJSON bool
}

// ParseFlags reads the application; --id is required.
func (c *AppRotateKeyCommand) ParseFlags(args, environ []string) error {
	fs, err := c.flagSet("app rotate-key", environ)
	if err != nil {
		return err
	}
	fs.Int64Var(&c.id, "id", 0, "the application's id")
	jsonFlag(fs, &c.asJSON)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if c.id <= 0 {
		return errors.New("app rotate-key: --id is required")
	}
	return nil
}

// Run makes the new key and prints it.
func (c *AppRotateKeyCommand) Run(ctx context.Context) error {
	return c.withCore(ctx, func(svc *core.Service) error {
		a, err := svc.OperatorRecreateKey(ctx, c.id)
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			return fmt.Errorf("no application %d", c.id)
		}
		if err != nil {
			return err
		}
		if c.asJSON {
			return c.printJSON(bootstrapOut{Application: &appOut{ID: a.ID, Name: a.Name, APIKey: a.APIKey, ShopLogin: a.ShopLogin}})
		}
		fmt.Fprintf(c.stdout, "application %d (%s) has a new API key; the old one fails at once on new servers and within a minute on running ones (they cache keys for a minute)\nAPI key (shown once): %s\n", a.ID, a.Name, a.APIKey)
		return nil
	})
}
