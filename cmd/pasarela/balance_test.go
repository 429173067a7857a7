package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestBalanceCredit funds a client with `balance credit` as the bootstrap
// contract says, then spends it through the Kashpay face of a served
// gateway, as the README's walk-through does.
func TestBalanceCredit(t *testing.T) {
	db := testDB(t)
	out := MustRun(t, nil, "client", "create", "--name", "Cascade", "--email", "jim@cascadefintech.com",
		"--password", "Str0ng-pass!", "--code", "com.cascade", "--db", db, "--json")
	var c struct{ Client struct{ ID string } }
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.Client.ID == "" {
		t.Fatalf("client create: %q %v", out, err)
	}
	out = MustRun(t, nil, "balance", "credit", "--client", c.Client.ID, "--currency", "MXN", "--amount", "1000.00",
		"--reference", "wire-1", "--db", db, "--json")
	var got balanceOut
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("balance credit --json printed %q: %v", out, err)
	}
	if got.Client.ID != c.Client.ID || got.Balance.Currency != "MXN" || got.Balance.Credited != "1000.00" ||
		got.Balance.Available != "1000.00" || got.Balance.Pending != "0.00" || got.Balance.Replayed || got.Balance.TransactionID == 0 {
		t.Fatalf("balance credit: %s", out)
	}
	// The same reference again changes nothing; another credit adds up.
	out = MustRun(t, nil, "balance", "credit", "--client", c.Client.ID, "--amount", "1000.00", "--reference", "wire-1",
		"--db", db, "--json")
	if err := json.Unmarshal([]byte(out), &got); err != nil || !got.Balance.Replayed || got.Balance.Available != "1000.00" {
		t.Fatalf("replayed credit: %s", out)
	}
	out = MustRun(t, []string{"PASARELA_DB=" + db}, "balance", "credit", "--client", c.Client.ID, "--amount", "0.50")
	if !strings.Contains(out, "credited 0.50 MXN") || !strings.Contains(out, "available 1000.50 MXN") {
		t.Fatalf("plain output: %q", out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"balance", "credit", "--client", c.Client.ID, "--amount", "1.005", "--db", db}, "at most 2 decimals"},
		{[]string{"balance", "credit", "--client", c.Client.ID, "--amount", "-1", "--db", db}, "greater than zero"},
		{[]string{"balance", "credit", "--client", c.Client.ID, "--amount", "1", "--currency", "XYZ", "--db", db}, "ISO 4217"},
		{[]string{"balance", "credit", "--client", "nobody", "--amount", "1", "--db", db}, "not found"},
		{[]string{"balance", "credit", "--client", c.Client.ID, "--amount", "2", "--reference", "wire-1", "--db", db}, "another amount"},
	} {
		var stdout, stderr bytes.Buffer
		cmd, err := ParseCommand(tc.args, nil, &stdout, &stderr)
		if err != nil {
			t.Fatalf("parse %v: %v", tc.args, err)
		}
		err = cmd.Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one saying %q", tc.args, err, tc.want)
		}
	}
	for _, args := range [][]string{
		{"balance"}, {"balance", "debit"}, {"balance", "credit", "--amount", "1"}, {"balance", "credit", "--client", "x"},
	} {
		if _, err := ParseCommand(args, nil, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("%v parsed", args)
		}
	}

	// Serve and spend it through Kashpay.
	m, _ := MustServe(t, []string{"PASARELA_LOG_LEVEL=error"}, "serve", "--addr", "127.0.0.1:0", "--db", db)
	base := m.URL() + "/kashpay"
	post := func(path, token, body string) map[string]any {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v map[string]any
		if err := json.NewDecoder(res.Body).Decode(&v); err != nil || res.StatusCode != 200 {
			t.Fatalf("POST %s: %d %v %v", path, res.StatusCode, v, err)
		}
		return v
	}
	auth := post("/AuthenticationService/authenticate", "",
		`{"entity":"com.cascade","password":"Str0ng-pass!","user":"jim@cascadefintech.com"}`)
	token := auth["authenticationResponse"].(map[string]any)["token"].(string)
	order := post("/OKPay/createOrder", token, `{"amount":250,"beneficiaryAcount":"002010077777777771",
		"beneficiaryName":"Florentino Eter","codeInstituteBank":"002","concept":"Deposito Maria","currency":484,
		"numericReference":43223123,"typeTransaction":1}`)
	o := order["orderEntityResponse"].(map[string]any)
	if o["status"] != float64(25) || o["initialBalance"] != 1000.5 || o["finalBalance"] != 750.5 {
		t.Fatalf("createOrder: %v", order)
	}
}
