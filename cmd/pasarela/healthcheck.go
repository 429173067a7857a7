package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// HealthcheckCommand is `pasarela healthcheck`: it asks a running server's
// /readyz and exits 0 only when the server answers 200 (it is up and its
// database answers). It is the container image's HEALTHCHECK, where no
// curl is installed.
type HealthcheckCommand struct {
	output
	Config  Config
	url     string
	timeout time.Duration
}

// ParseFlags reads where the server listens: --url, or else the address
// serve is given (PASARELA_ADDR), asked on the loopback when it listens on
// every address.
func (c *HealthcheckCommand) ParseFlags(args, environ []string) error {
	if err := c.Config.parseEnv(environ); err != nil {
		return err
	}
	fs := newFlagSet("healthcheck", c.stderr)
	fs.StringVar(&c.url, "url", "", "the URL to ask (default: /readyz at PASARELA_ADDR, "+c.Config.Addr+")")
	fs.DurationVar(&c.timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if c.url == "" {
		c.url = "http://" + displayAddr(c.Config.Addr) + "/readyz"
	}
	return nil
}

// Run asks and says what it heard.
func (c *HealthcheckCommand) Run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d: %s", c.url, res.StatusCode, body)
	}
	fmt.Fprintf(c.stdout, "%s: ok\n", c.url)
	return nil
}
