package dashboard

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// TestWriteExport: a complete export is the header and every page's rows;
// one whose next page fails ends with a row that says it is incomplete,
// after the rows already written, and returns the failure.
func TestWriteExport(t *testing.T) {
	pages := []core.PaymentPage{
		{Payments: []pasarela.Payment{{ID: 5}, {ID: 4}}, Older: true},
		{Payments: []pasarela.Payment{{ID: 3}, {ID: 2}}, Older: true},
		{Payments: []pasarela.Payment{{ID: 1}}},
	}
	row := func(p *pasarela.Payment) []string {
		r := make([]string, len(exportHeader))
		r[0] = string(rune('0' + p.ID))
		return r
	}
	run := func(failAt int) ([][]string, error) {
		var buf bytes.Buffer
		n := 0
		err := writeExport(&buf, &pages[0], func(before int64) (*core.PaymentPage, error) {
			n++
			if n == failAt {
				return nil, errors.New("the database went away")
			}
			if want := pages[n-1].Payments[len(pages[n-1].Payments)-1].ID; before != want {
				t.Fatalf("next page before %d, want %d", before, want)
			}
			return &pages[n], nil
		}, row)
		rows, rerr := csv.NewReader(&buf).ReadAll()
		if rerr != nil {
			t.Fatalf("the file is not CSV: %v\n%s", rerr, buf.String())
		}
		return rows, err
	}
	rows, err := run(0)
	if err != nil || len(rows) != 6 || rows[0][0] != "id" || rows[5][0] != "1" {
		t.Fatalf("complete export: %v %v", rows, err)
	}
	for _, r := range rows {
		if strings.HasPrefix(r[0], exportIncomplete) {
			t.Fatalf("a complete export says it is incomplete: %v", rows)
		}
	}
	rows, err = run(2)
	if err == nil || len(rows) != 6 || rows[4][0] != "2" || !strings.HasPrefix(rows[5][0], exportIncomplete) {
		t.Fatalf("export cut on its third page: %v %v", rows, err)
	}
}

// TestExportCells: every text a person or a buyer typed is kept as text
// in a spreadsheet: a leading = + - @ tab or carriage return gets a quote.
func TestExportCells(t *testing.T) {
	cat := &catalogue{appName: map[int64]string{1: "=cmd|' /C calc'!A0"}, cfgName: map[int64]string{2: "@SUM(A1)"}}
	p := &pasarela.Payment{ID: 9, ApplicationID: 1, GatewayConfig: 2, Currency: "EUR", Status: pasarela.StatusCompleted,
		CustomerEmail: "+1@x.example", MerchantRef: "-2+3", Description: "\t=1", Card: &pasarela.Card{Brand: "\r=2", Last4: "4242"}}
	r := exportRow(cat, p)
	byName := map[string]string{}
	for i, h := range exportHeader {
		byName[h] = r[i]
	}
	for _, col := range []string{"application", "gateway_config", "customer_email", "merchant_ref", "description", "card_brand"} {
		if !strings.HasPrefix(byName[col], "'") {
			t.Errorf("%s %q is not kept as text", col, byName[col])
		}
	}
	if byName["card_last4"] != "4242" || byName["amount"] != "0.00" {
		t.Errorf("plain cells changed: %v", byName)
	}
}
