// Package browsertest starts a real browser for the tests of pages people
// use: Debian's headless chromium, driven with chromedp, with what the pages
// write to the browser's console collected, since script errors and
// Content-Security-Policy violations land there and nowhere else.
package browsertest

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's chromium, which .ci/run installs.
const ChromiumPath = "/usr/bin/chromium"

// Console collects the console messages of a browser's pages.
type Console struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

// ExpectClean fails if a page logged a warning, an error or an exception,
// other than a message that begins with one of allowed (notes a page
// causes on purpose, such as a form answered with 402).
func (c *Console) ExpectClean(t testing.TB, allowed ...string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
next:
	for _, m := range c.msgs {
		for _, a := range allowed {
			if strings.HasPrefix(m.Text, a) {
				continue next
			}
		}
		switch m.Type {
		case chromedp.ConsoleError, chromedp.ConsoleException, chromedp.ConsoleWarning:
			t.Errorf("console %s: %s (%s)", m.Type, m.Text, m.URL)
		}
	}
}

// New starts a headless chromium with a fresh profile for the test and
// returns a tab's context, bounded by timeout, and its console; extra
// options are added to the browser's (a window size). It skips the test
// when there is no chromium. The browser ends with the test.
func New(t testing.TB, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) (context.Context, *Console) {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Skipf("no browser at %s (.ci/run installs Debian's chromium)", ChromiumPath)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// Start the browser with no deadline (a deadline on the first run would
	// end the browser with it), then bound the test.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	con := &Console{}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			con.mu.Lock()
			con.msgs = append(con.msgs, m)
			con.mu.Unlock()
		}
	}()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancel)
	return tctx, con
}
