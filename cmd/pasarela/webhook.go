package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pasarela/pasarela/internal/webhook"
)

// verifyConfig is the arguments of "pasarela webhook verify".
type verifyConfig struct {
	secret, id, timestamp, signature string
	apiKey, hash                     string
	bodyFile                         string
	tolerance                        time.Duration
	stdin                            io.Reader
	now                              func() time.Time
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

func (m *Main) parseWebhook(args []string) error {
	if len(args) > 0 && args[0] == "listen" {
		return m.parseWebhookListen(args[1:])
	}
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("webhook: the subcommands are verify and listen\n%s", webhookUsage)
	}
	m.command = "webhook verify"
	v := &m.verify
	fs := flag.NewFlagSet("pasarela webhook verify", flag.ContinueOnError)
	fs.SetOutput(m.stderr)
	fs.StringVar(&v.secret, "secret", "", "the webhook's signing secret (whsec_…)")
	fs.StringVar(&v.id, "id", "", "the webhook-id header")
	fs.StringVar(&v.timestamp, "timestamp", "", "the webhook-timestamp header")
	fs.StringVar(&v.signature, "signature", "", "the webhook-signature header")
	fs.StringVar(&v.apiKey, "api-key", "", "the application's API key, to check the PayREST Hash header")
	fs.StringVar(&v.hash, "hash", "", "the Hash header")
	fs.StringVar(&v.bodyFile, "body", "", "file holding the raw body (default: standard input)")
	fs.DurationVar(&v.tolerance, "tolerance", webhook.DefaultTolerance, "how far the timestamp may be from now")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("webhook verify: unexpected argument %q", fs.Arg(0))
	}
	standard := v.secret != "" || v.id != "" || v.timestamp != "" || v.signature != ""
	if standard && (v.secret == "" || v.id == "" || v.timestamp == "" || v.signature == "") {
		return errors.New("webhook verify: --secret, --id, --timestamp and --signature go together")
	}
	if (v.apiKey == "") != (v.hash == "") {
		return errors.New("webhook verify: --api-key and --hash go together")
	}
	if !standard && v.apiKey == "" {
		return fmt.Errorf("webhook verify: give the Standard Webhooks headers and secret, or --api-key and --hash\n%s", webhookUsage)
	}
	return nil
}

// runWebhookVerify checks a delivery as a receiver would, and says what it
// found; an invalid delivery is an error, so the exit status is not 0.
func (m *Main) runWebhookVerify() error {
	v := &m.verify
	var r io.Reader = v.stdin
	if r == nil {
		r = os.Stdin
	}
	if v.bodyFile != "" {
		f, err := os.Open(v.bodyFile)
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
	if v.now != nil {
		now = v.now
	}
	if v.secret != "" {
		if err := webhook.Verify(v.secret, v.id, v.timestamp, v.signature, body, now(), v.tolerance); err != nil {
			return fmt.Errorf("webhook-signature: %w", err)
		}
		fmt.Fprintln(m.stdout, "webhook-signature: valid")
	}
	if v.apiKey != "" {
		if err := webhook.VerifyHash(v.apiKey, v.hash, body); err != nil {
			return fmt.Errorf("Hash: %w", err)
		}
		fmt.Fprintln(m.stdout, "Hash: valid")
	}
	return nil
}
