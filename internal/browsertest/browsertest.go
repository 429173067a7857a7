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

// allocatorOptions are the flags of a headless chromium with its profile
// in dir.
func allocatorOptions(dir string, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
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
		chromedp.UserDataDir(dir),
	)
	return append(opts, extra...)
}

func skipWithoutChromium(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		t.Skipf("no browser at %s (.ci/run installs Debian's chromium)", ChromiumPath)
	}
}

// New starts a headless chromium with a fresh profile for the test and
// returns a tab's context, bounded by timeout, and its console; extra
// options are added to the browser's (a window size). It skips the test
// when there is no chromium. The browser ends with the test. A package
// with several browser tests shares one browser instead (Shared).
func New(t testing.TB, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) (context.Context, *Console) {
	t.Helper()
	skipWithoutChromium(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocatorOptions(t.TempDir(), extra...)...)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// Start the browser with no deadline (a deadline on the first run would
	// end the browser with it), then bound the test.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bounded(t, ctx, timeout)
}

// bounded collects the console of tab ctx and bounds it by timeout, for the
// rest of the test.
func bounded(t testing.TB, ctx context.Context, timeout time.Duration) (context.Context, *Console) {
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

// Shared is one chromium for all the browser tests of a package: starting
// a browser costs about a second of CPU, on CI's two cores, for each test
// that starts its own. The first test that asks for a tab starts it; the
// package's TestMain ends it with Close after m.Run. Each tab opens in a
// browser context of its own (cookies, storage and cache apart, like a
// fresh profile), so tests running in parallel never share a session. The
// zero value is ready to use.
type Shared struct {
	once    sync.Once
	browser context.Context
	cancel  func()
	dir     string
	err     error
}

// Tab opens a tab of the shared browser for the test, width × height
// pixels, and returns its context, bounded by timeout, and its console. It
// skips the test when there is no chromium. The tab and its browser
// context end with the test.
func (s *Shared) Tab(t testing.TB, timeout time.Duration, width, height int64) (context.Context, *Console) {
	t.Helper()
	skipWithoutChromium(t)
	s.once.Do(s.start)
	if s.err != nil {
		t.Fatalf("start chromium: %v", s.err)
	}
	ctx, cancel := chromedp.NewContext(s.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// Open the tab with no deadline (the test's deadline would end it),
	// then bound the test.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return bounded(t, ctx, timeout)
}

func (s *Shared) start() {
	if s.dir, s.err = os.MkdirTemp("", "browsertest-"); s.err != nil {
		return
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocatorOptions(s.dir)...)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	s.browser, s.cancel = browser, func() { cancelBrowser(); cancelAlloc() }
	s.err = chromedp.Do(browser)
}

// Close ends the browser if a test started it, and removes its profile.
func (s *Shared) Close() {
	// A Tab after Close would find no browser; once makes it start none.
	s.once.Do(func() {})
	if s.cancel != nil {
		s.cancel()
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}
