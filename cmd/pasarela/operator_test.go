package main

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// demoCommands returns the commands serve --demo printed, each as the text
// a person pastes (continuation lines included).
func demoCommands(t *testing.T, out string) []string {
	t.Helper()
	var cmds []string
	lines := strings.Split(out, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "  curl ") {
			continue
		}
		cmd := lines[i]
		for strings.HasSuffix(lines[i], `\`) && i+1 < len(lines) {
			i++
			cmd += "\n" + lines[i]
		}
		cmds = append(cmds, strings.TrimSpace(cmd))
	}
	return cmds
}

// shellWords splits a command as a POSIX shell does for the quoting the
// demo uses: single and double quotes, backslash escapes and line
// continuations. A $ outside single quotes is refused: the shell would
// expand it, so the command would not be ready to paste.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	in := false // inside a word
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i++
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			in = true
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				t.Fatalf("unterminated quote in %q", s)
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case c == '"':
			in = true
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '$' || s[i] == '`' {
					t.Fatalf("the shell would expand %q in %q", s[i:], s)
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				w.WriteByte(s[i])
			}
			if i == len(s) {
				t.Fatalf("unterminated quote in %q", s)
			}
		case c == '$' || c == '`' || c == '|' || c == ';' || c == '&' || c == '<' || c == '>' || c == '*' || c == '?':
			t.Fatalf("the shell would interpret %q in %q", c, s)
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

// curlRequest builds the request a curl command line sends, for the flags
// the demo prints; any other flag fails the test, so that a new one is
// taught here before it is printed.
func curlRequest(t *testing.T, words []string) (*http.Request, bool) {
	t.Helper()
	if len(words) == 0 || words[0] != "curl" {
		t.Fatalf("not a curl command: %q", words)
	}
	var url, user string
	var data []string
	insecure := false
	header := http.Header{}
	for i := 1; i < len(words); i++ {
		arg := func() string {
			if i+1 >= len(words) {
				t.Fatalf("%s needs a value: %q", words[i], words)
			}
			i++
			return words[i]
		}
		switch w := words[i]; w {
		case "-s":
		case "-k", "-sk", "-ks":
			insecure = true
		case "-u":
			user = arg()
		case "-H":
			k, v, ok := strings.Cut(arg(), ":")
			if !ok {
				t.Fatalf("bad header in %q", words)
			}
			header.Add(k, strings.TrimSpace(v))
		case "-d":
			data = append(data, arg())
		default:
			if strings.HasPrefix(w, "-") || url != "" {
				t.Fatalf("curl argument %q is not one the demo is known to print", w)
			}
			url = w
		}
	}
	method, body := "GET", ""
	if data != nil {
		method, body = "POST", strings.Join(data, "&")
		if header.Get("Content-Type") == "" {
			header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	if user != "" {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user)))
	}
	return req, insecure
}

// demoExpect is what each printed command must answer, by the end of its
// URL: the statuses that mean it worked and a member of the JSON answer.
var demoExpect = []struct {
	suffix string
	status []int
	member string
}{
	{"/payment", []int{201}, "links"},
	{"/oauth/token", []int{200}, "access_token"},
	{"/sekurepay/api/v1/orders", []int{201, 200}, "payment_url"}, // 200 when a start in the same second replays the order
	{"/kashpay/AuthenticationService/authenticate", []int{200}, "authenticationResponse"},
	{"/xpay/api/v1/auth/login/", []int{200}, "key"},
	{"", []int{200}, "name"}, // /application/{id}
}

func expectFor(t *testing.T, url string) (status []int, member string) {
	for _, x := range demoExpect {
		if strings.HasSuffix(url, x.suffix) {
			return x.status, x.member
		}
	}
	t.Fatalf("no expectation for %s", url)
	return nil, ""
}

// runDemoCommands sends every printed command as printed, and when curl is
// installed runs it through the shell as well, and checks each worked.
func runDemoCommands(t *testing.T, cmds []string) {
	t.Helper()
	curl, _ := exec.LookPath("curl")
	for _, cmd := range cmds {
		if strings.Contains(cmd, "…") {
			t.Fatalf("a placeholder is left in %q", cmd)
		}
		req, insecure := curlRequest(t, shellWords(t, cmd))
		status, member := expectFor(t, req.URL.Path)
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: insecure}}}
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil || !containsInt(status, res.StatusCode) || v[member] == nil {
			t.Fatalf("%s\nanswered %d %s; want %v with %q", cmd, res.StatusCode, b, status, member)
		}
		if curl == "" {
			continue
		}
		var out, errOut bytes.Buffer
		sh := exec.Command("sh", "-c", cmd)
		sh.Stdout, sh.Stderr = &out, &errOut
		if err := sh.Run(); err != nil {
			t.Fatalf("sh -c %s: %v %s", cmd, err, errOut.String())
		}
		v = nil
		if err := json.Unmarshal(out.Bytes(), &v); err != nil || v[member] == nil {
			t.Fatalf("sh -c %s\nprinted %s; want JSON with %q", cmd, out.String(), member)
		}
	}
	if curl == "" {
		t.Log("curl is not installed: the commands were sent as curl would send them, not run by curl")
	}
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// TestDemoCommands runs every command serve --demo prints, exactly as
// printed: with an HTTPS listener (PayREST, SekurePay over HTTPS, Kashpay)
// on the first start and the next one (renewed credentials), and without
// one (SekurePay then says how to get HTTPS).
func TestDemoCommands(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "pasarela.db")
	for run := 0; run < 2; run++ {
		m, out := MustServe(t, nil, "serve", "--demo", "--db", db, "--addr", "127.0.0.1:0",
			"--tls-self-signed", "--tls-addr", "127.0.0.1:0")
		cmds := demoCommands(t, out)
		if len(cmds) != 6 {
			t.Fatalf("run %d: %d commands, want 6 (PayREST ×3, SekurePay, Kashpay, xpay):\n%s", run, len(cmds), out)
		}
		sekure := cmds[3]
		if !strings.HasPrefix(sekure, "curl -sk -u psk_") || !strings.Contains(sekure, " "+m.TLSURL()+"/sekurepay/api/v1/orders ") {
			t.Fatalf("run %d: the SekurePay command is not over HTTPS with the API key: %s", run, sekure)
		}
		if !strings.Contains(cmds[4], `"entity":"com.pasarela-demo","user":"demo@pasarela.test"`) {
			t.Fatalf("run %d: the Kashpay command does not sign in the demo user: %s", run, cmds[4])
		}
		runDemoCommands(t, cmds)
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}

	m, out := MustServe(t, nil, "serve", "--demo", "--db", db, "--addr", "127.0.0.1:0")
	defer m.Close()
	if !strings.Contains(out, "SekurePay (HTTPS only): restart with --tls-self-signed (or --tls-cert/--tls-key)") {
		t.Fatalf("without HTTPS the demo does not say how to get SekurePay:\n%s", out)
	}
	cmds := demoCommands(t, out)
	if len(cmds) != 5 || strings.Contains(out, "sekurepay/api") {
		t.Fatalf("without HTTPS: %d commands, want 5 and no SekurePay one:\n%s", len(cmds), out)
	}
	runDemoCommands(t, cmds)
}
