package sekurepay_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestOrderWithoutGateway: an application with no enabled gateway config
// refuses orders, and the message says where to configure one (the admin
// API's route, which the core leaves to the face).
func TestOrderWithoutGateway(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := e.A.AdminCtx(context.Background())
		configs, _, err := e.Svc.ListGatewayConfigs(ctx, e.A.App.ID, "", pasarela.ListOptions{})
		if err != nil || len(configs) != 1 {
			t.Fatalf("configs %v %v", configs, err)
		}
		if _, err := e.Svc.UpdateGatewayConfig(ctx, e.A.App.ID, configs[0].ID,
			core.GatewayConfigInput{Enabled: pasarela.Set(false)}, false); err != nil {
			t.Fatal(err)
		}
		r := e.Do("POST", "/orders", e.A.App.APIKey, strings.Replace(seedBody, "12200", "10700", 1))
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		want := "the application has no enabled gateway config to take payments; configure one with POST /application/" +
			strconv.FormatInt(e.A.App.ID, 10) + "/gateway"
		if er := r.Err(t); er["code"] != "no_gateway" || er["message"] != want || er["param"] != nil {
			t.Fatalf("error %v, want no_gateway %q", er, want)
		}
	})
}

// TestIdempotencyKeyParam: a malformed Idempotency-Key is refused naming
// the header as SekurePay's clients send it, not the core's field name.
func TestIdempotencyKeyParam(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		r := e.Do("POST", "/orders", e.A.App.APIKey, strings.Replace(seedBody, "12200", "10700", 1), "Idempotency-Key", "two words")
		if er := r.Err(t); r.Status != http.StatusBadRequest || er["code"] != "idempotency_key" || er["param"] != "Idempotency-Key" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}
