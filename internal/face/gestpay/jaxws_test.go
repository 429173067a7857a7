package gestpay_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// jaxwsClasspath is the JAX-WS runtime a wsimport client compiles and runs
// against: Debian's jaxws-rt jar, whose manifest names the rest (JAXB,
// SAAJ, StAX…), found by name whatever its version.
func jaxwsClasspath() (string, bool) {
	jars, _ := filepath.Glob("/usr/share/java/jaxws-rt*.jar")
	if len(jars) == 0 {
		return "", false
	}
	sort.Strings(jars)
	return jars[0], true
}

// quickJVM runs a JVM with its quick compiler alone: each of the test's
// JVMs runs for seconds, and so the test takes a third less.
const quickJVM = "-XX:TieredStopAtLevel=1"

// jaxwsOperations are the 17 operations of WSs2s by their WSDL names.
var jaxwsOperations = []string{"callPagamS2S", "callSettleS2S", "callDeleteS2S", "callRefundS2S", "callReadTrxS2S",
	"callVerifycardS2S", "callCheckCartaS2S", "callRenounce", "CallRequestTokenS2S", "callDeleteTokenS2S",
	"CallUpdateTokenS2S", "CallIdealListS2S", "CallMyBankListS2S", "CallUpdateCustomParamS2S", "CallUpdateOrderS2S",
	"callExchangeRateS2S", "callDeviceActivation"}

// TestJAXWS: the JAX-WS client wsimport generates from WSs2s's WSDL, as
// Gestpay's Java sample uses it, compiles against the served WSDL, starts
// (it checks the WSDL's operations and bindings when it does), calls the
// address the WSDL names, pays by card and reads the transaction back; a
// call with another shop's key is a KO, not an exception.
func TestJAXWS(t *testing.T) {
	t.Parallel()
	var missing []string
	tools := map[string]string{}
	for _, name := range []string{"wsimport", "javac", "java"} {
		path, err := exec.LookPath(name)
		if err != nil {
			missing = append(missing, name)
		}
		tools[name] = path
	}
	if len(missing) > 0 {
		t.Skipf("JAX-WS client not tested: no %s on PATH (apt-get install default-jdk-headless jaxws)", strings.Join(missing, ", "))
	}
	cp, ok := jaxwsClasspath()
	if !ok {
		t.Skip("JAX-WS client not tested: no jaxws-rt jar in /usr/share/java (apt-get install jaxws)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// run returns what the command printed; JAX-WS logs its warnings on
	// stderr, which only a failure shows. Debian's wsimport script passes
	// WSIMPORT_OPTS to its JVM.
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, tools[name], args...)
		cmd.Env = append(os.Environ(), "NO_PROXY=*", "no_proxy=*", "WSIMPORT_OPTS="+quickJVM)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s%s", name, err, out, stderr.String())
		}
		return string(out)
	}

	e := newEnv(t, "sqlite")
	a := e.A.App
	service := e.URL + "/gestpay/gestpayws/WSs2s.asmx"
	dir := t.TempDir()
	src, classes := filepath.Join(dir, "src"), filepath.Join(dir, "classes")
	// wsimport writes only into a directory that is there.
	for _, d := range []string{src, classes} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out := run("wsimport", "-keep", "-Xnocompile", "-p", "it.sella.ecomms2s", "-d", src, service+"?WSDL")
	if strings.Contains(out, "[ERROR]") {
		t.Fatalf("wsimport:\n%s", out)
	}
	pkg := filepath.Join(src, "it", "sella", "ecomms2s")
	sources, _ := filepath.Glob(filepath.Join(pkg, "*.java"))
	if len(sources) == 0 {
		t.Fatalf("wsimport wrote no sources:\n%s", out)
	}
	// Gestpay's sample calls the port's methods by these names: each must
	// be in the interface wsimport made of the served WSDL.
	port, err := os.ReadFile(filepath.Join(pkg, "WSs2SSoap.java"))
	if err != nil {
		t.Fatalf("wsimport made no WSs2SSoap port (%v):\n%s", err, out)
	}
	for _, op := range jaxwsOperations {
		if !strings.Contains(string(port), `@RequestWrapper(localName = "`+op+`"`) {
			t.Errorf("the generated port has no %s", op)
		}
	}
	run("javac", append([]string{"-J" + quickJVM, "-nowarn", "-d", classes, "-cp", cp,
		filepath.Join("testdata", "clients", "jaxws", "Client.java")}, sources...)...)
	out = run("java", quickJVM, "-cp", classes+string(os.PathListSeparator)+cp, "Client",
		service+"?WSDL", a.ShopLogin, a.APIKey, "JAXWS-1", e.B.App.APIKey)

	r := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.ContainsAny(k, " \t") {
			r[k] = v
		}
	}
	if r["address"] != service {
		t.Errorf("the client called %q, not the WSDL's address %q\n%s", r["address"], service, out)
	}
	bank := r["pagam.BankTransactionID"]
	if r["pagam.TransactionType"] != "PAGAM" || r["pagam.TransactionResult"] != "OK" || r["pagam.ErrorCode"] != "0" ||
		bank == "" || len(r["pagam.AuthorizationCode"]) != 6 || r["pagam.ShopTransactionID"] != "JAXWS-1" ||
		r["pagam.Amount"] != "12.00" || r["pagam.Buyer.BuyerName"] != "Mario Rossi" {
		t.Fatalf("callPagamS2S:\n%s", out)
	}
	if r["read.TransactionType"] != "QUERYTX" || r["read.TransactionResult"] != "OK" ||
		r["read.BankTransactionID"] != bank || r["read.TransactionState"] != "MOV" {
		t.Fatalf("callReadTrxS2S:\n%s", out)
	}
	if r["otherkey.TransactionResult"] != "KO" || r["otherkey.ErrorCode"] != "1169" {
		t.Fatalf("callPagamS2S with another shop's key:\n%s", out)
	}
}
