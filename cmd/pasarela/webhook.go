package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pasarela/pasarela/internal/webhook"
)

// WebhookVerifyCommand is `pasarela webhook verify`: it checks a
// delivery's signatures as a receiver would.
type WebhookVerifyCommand struct {
	output
	keys                     webhookKeys
	id, timestamp, signature string
	hash                     string
	bodyFile                 string
	stdin                    io.Reader        // the body when there is no --body; os.Stdin unless a test sets it
	now                      func() time.Time // time.Now unless a test sets it
}

// webhookKeys are the flags verify and listen share: what a delivery's
// signatures are checked with.
type webhookKeys struct {
	secret, apiKey string
	tolerance      time.Duration
}

func (k *webhookKeys) flags(fs *flag.FlagSet) {
	fs.StringVar(&k.secret, "secret", "", "the webhook's signing secret (whsec_…), to check webhook-signature")
	fs.StringVar(&k.apiKey, "api-key", "", "the application's API key, to check the PayREST Hash header")
	fs.DurationVar(&k.tolerance, "tolerance", webhook.DefaultTolerance, "how far webhook-timestamp may be from now")
}

// maxVerifyBody bounds the body read; a webhook body is far smaller.
const maxVerifyBody = 16 << 20

const webhookUsage = `usage:
  pasarela webhook verify --secret whsec_… --id ID --timestamp UNIX --signature "v1,…" [--body FILE] [--tolerance 5m]
  pasarela webhook verify --api-key KEY --hash HEX [--body FILE]
  pasarela webhook listen [--addr 127.0.0.1:9000] [--secret whsec_…] [--api-key KEY] [--tolerance 5m]
verify reads the delivery's body from --body or standard input. It exits 0 only
when every signature given is valid (and the timestamp is within --tolerance of now).
listen is a receiver for development: it prints every delivery it gets with
what its signatures say, and answers 204 when they hold, 400 when they do not.`

// ParseFlags reads the headers and keys to check: the Standard Webhooks
// ones (--secret, --id, --timestamp, --signature), PayREST's (--api-key,
// --hash), or both.
func (c *WebhookVerifyCommand) ParseFlags(args, environ []string) error {
	fs := newFlagSet("webhook verify", c.stderr)
	c.keys.flags(fs)
	fs.StringVar(&c.id, "id", "", "the webhook-id header")
	fs.StringVar(&c.timestamp, "timestamp", "", "the webhook-timestamp header")
	fs.StringVar(&c.signature, "signature", "", "the webhook-signature header")
	fs.StringVar(&c.hash, "hash", "", "the Hash header")
	fs.StringVar(&c.bodyFile, "body", "", "file holding the raw body (default: standard input)")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	standard := c.keys.secret != "" || c.id != "" || c.timestamp != "" || c.signature != ""
	if standard && (c.keys.secret == "" || c.id == "" || c.timestamp == "" || c.signature == "") {
		return errors.New("webhook verify: --secret, --id, --timestamp and --signature go together")
	}
	if (c.keys.apiKey == "") != (c.hash == "") {
		return errors.New("webhook verify: --api-key and --hash go together")
	}
	if !standard && c.keys.apiKey == "" {
		return fmt.Errorf("webhook verify: give the Standard Webhooks headers and secret, or --api-key and --hash\n%s", webhookUsage)
	}
	return nil
}

// Run checks the delivery and says what it found; an invalid delivery is
// an error, so the exit status is not 0.
func (c *WebhookVerifyCommand) Run(ctx context.Context) error {
	var r io.Reader = c.stdin
	if r == nil {
		r = os.Stdin
	}
	if c.bodyFile != "" {
		f, err := os.Open(c.bodyFile)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	body, err := io.ReadAll(io.LimitReader(r, maxVerifyBody+1))
	if err != nil {
		return err
	}
	if len(body) > maxVerifyBody {
		return errors.New("webhook verify: the body is larger than 16 MiB")
	}
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	if c.keys.secret != "" {
		if err := webhook.Verify(c.keys.secret, c.id, c.timestamp, c.signature, body, now(), c.keys.tolerance); err != nil {
			return fmt.Errorf("webhook-signature: %w", err)
		}
		fmt.Fprintln(c.stdout, "webhook-signature: valid")
	}
	if c.keys.apiKey != "" {
		if err := webhook.VerifyHash(c.keys.apiKey, c.hash, body); err != nil {
			return fmt.Errorf("Hash: %w", err)
		}
		fmt.Fprintln(c.stdout, "Hash: valid")
	}
	return nil
}
