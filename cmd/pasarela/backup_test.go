package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/store/engine"
)

// TestBackupUnderLoad backs a SQLite database up while a server takes
// payments, restores the copy, and finds there every payment acknowledged
// before the backup began; the restored database serves them.
func TestBackupUnderLoad(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "live.db")
	MustRun(t, nil, "migrate", "--db", db)
	m, d := mustDemo(t, db)

	var mu sync.Mutex
	acked := map[int64]bool{}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var loadErr error
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("POST", m.URL()+"/application/"+d.app+"/payment", strings.NewReader(
					fmt.Sprintf(`{"payment":{"amount":"%d","currency":"EUR","description":"load %d-%d"}}`, 100+i, w, i)))
				req.Header.Set("X-Auth-Token", d.key)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					mu.Lock()
					loadErr = err
					mu.Unlock()
					return
				}
				var p struct{ ID int64 }
				err = json.NewDecoder(res.Body).Decode(&p)
				res.Body.Close()
				if res.StatusCode == 201 && err == nil {
					mu.Lock()
					acked[p.ID] = true
					mu.Unlock()
				}
			}
		}()
	}
	waitFor := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); count() < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("only %d payments acknowledged", count())
			}
		}
	}
	waitFor(30)
	mu.Lock()
	before := make([]int64, 0, len(acked))
	for id := range acked {
		before = append(before, id)
	}
	mu.Unlock()
	backup := filepath.Join(dir, "backup.db")
	out := MustRun(t, nil, "backup", "--to", backup, "--db", db)
	if !strings.Contains(out, "backed up") || !strings.Contains(out, "secret key is not in the backup") {
		t.Errorf("backup printed %q", out)
	}
	waitFor(len(before) + 30) // the server kept taking payments
	close(stop)
	wg.Wait()
	if loadErr != nil {
		t.Fatal(loadErr)
	}

	restored := filepath.Join(dir, "restored.db")
	out = MustRun(t, nil, "restore", "--from", backup, "--db", "sqlite:"+restored)
	if !strings.Contains(out, "ledger verified") {
		t.Errorf("restore printed %q", out)
	}
	raw, err := sql.Open("sqlite", restored)
	if err != nil {
		t.Fatal(err)
	}
	have := map[int64]bool{}
	rows, err := raw.Query(`SELECT id FROM payments`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		have[id] = true
	}
	rows.Close()
	raw.Close()
	for _, id := range before {
		if !have[id] {
			t.Errorf("payment %d, acknowledged before the backup, is not in it", id)
		}
	}
	t.Logf("%d payments acknowledged before the backup, %d in it, %d acknowledged in all", len(before), len(have), count())

	// The restored database serves, with the key of the one it copies.
	m.Close()
	m2, _ := MustServe(t, nil, "serve", "--db", "sqlite:"+restored, "--addr", "127.0.0.1:0",
		"--secret-key-file", engine.KeyFile(db, ""))
	if status, body := request(t, "GET", m2.URL()+"/application/"+d.app+"/payment/"+jsonNumber(before[0]), d.key, ""); status != 200 {
		t.Errorf("a restored payment: %d %v", status, body)
	}
	if out := MustRun(t, nil, "ledger", "verify", "--db", "sqlite:"+restored, "--secret-key-file", engine.KeyFile(db, "")); !strings.Contains(out, "ledger verified") {
		t.Errorf("ledger verify: %q", out)
	}

	// What restore and backup refuse.
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte("not a database at all, not even close to one"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"restore", "--from", backup, "--db", "sqlite:" + restored}, "exists"},
		{[]string{"restore", "--from", junk, "--db", "sqlite:" + filepath.Join(dir, "x.db")}, "not a SQLite database"},
		{[]string{"backup", "--to", backup, "--db", db}, "already exists"},
		{[]string{"backup", "--to", "x", "--db", "postgres://postgres@127.0.0.1:5432/x"}, "pg_dump"},
	} {
		if err := runLine(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v; want an error mentioning %q", tc.args, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); !os.IsNotExist(err) {
		t.Errorf("a refused restore left its target: %v", err)
	}
}
