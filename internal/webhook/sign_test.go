package webhook

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The vectors below were computed apart from this code, with openssl:
//
//	# Standard Webhooks (the first is the example of the specification)
//	key=$(printf '%s' MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw | base64 -d | od -An -tx1 | tr -d ' \n')
//	printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' |
//	  openssl dgst -sha256 -mac HMAC -macopt hexkey:$key -binary | base64
//	printf '%s' 'evt_abc123.1772366400.{"id":7,"paymentId":42,"amount":"500","status":"completed"}' |
//	  openssl dgst -sha256 -mac HMAC -macopt hexkey:000102…1e1f -binary | base64
//
//	# PayREST Hash
//	inner=$(printf '%s' "$body" | openssl dgst -sha512 -r | cut -d' ' -f1)
//	printf '%s%s' "$apikey" "$inner" | openssl dgst -sha512 -r | cut -d' ' -f1
var standardVectors = []struct {
	secret, id string
	ts         int64
	body, sig  string
}{
	{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, `{"test": 2432232314}`,
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
	{"whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "evt_abc123", 1772366400,
		`{"id":7,"paymentId":42,"amount":"500","status":"completed"}`, "v1,6cLZ8wCoox/ehPhG0bufcG4qMuWSXfn9btF4/8JTpc0="},
}

func TestSignVectors(t *testing.T) {
	for _, v := range standardVectors {
		got, err := Sign(v.secret, v.id, time.Unix(v.ts, 0), []byte(v.body))
		if err != nil {
			t.Fatal(err)
		}
		if got != v.sig {
			t.Errorf("Sign(%s) = %s, want %s", v.id, got, v.sig)
		}
		now := time.Unix(v.ts+60, 0)
		if err := Verify(v.secret, v.id, strconv.FormatInt(v.ts, 10), v.sig, []byte(v.body), now, 0); err != nil {
			t.Errorf("Verify(%s): %v", v.id, err)
		}
	}
}

func TestPayRESTHashVector(t *testing.T) {
	body := []byte(`{"id":42,"status":"completed","amount":"1050"}`)
	const key = "pk_live_3Zq8sKp2.f00dfacecafebeef"
	const want = "d3c3c756aba9e15b2b8d99a01e5dcd53b265276243523af99cd8326372f8cd2168450549ed00545241de45b11d2df6d821dbdfaeee012321637ca770eef8168f"
	if got := PayRESTHash(key, body); got != want {
		t.Fatalf("PayRESTHash = %s, want %s", got, want)
	}
	if err := VerifyHash(key, strings.ToUpper(want), body); err != nil {
		t.Errorf("VerifyHash (upper case): %v", err)
	}
	if err := VerifyHash(key, want, append(body, ' ')); !errors.Is(err, ErrHashMismatch) {
		t.Errorf("VerifyHash of another body = %v, want mismatch", err)
	}
	if err := VerifyHash("another key", want, body); !errors.Is(err, ErrHashMismatch) {
		t.Errorf("VerifyHash with another key = %v, want mismatch", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	v := standardVectors[0]
	ts := time.Unix(v.ts, 0)
	tsText := strconv.FormatInt(v.ts, 10)
	body := []byte(v.body)
	tests := []struct {
		name             string
		secret, id, ts   string
		sig              string
		body             []byte
		now              time.Time
		want             error
		wantMessageMatch string
	}{
		{"valid among several", v.secret, v.id, tsText, "v1,bm90IGl0 v2,abc " + v.sig, body, ts, nil, ""},
		{"tampered body", v.secret, v.id, tsText, v.sig, []byte(`{"test": 2432232315}`), ts, ErrNoSignature, ""},
		{"other id", v.secret, "msg_other", tsText, v.sig, body, ts, ErrNoSignature, ""},
		{"other secret", "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", v.id, tsText, v.sig, body, ts, ErrNoSignature, ""},
		{"too old", v.secret, v.id, tsText, v.sig, body, ts.Add(6 * time.Minute), ErrTooOld, ""},
		{"from the future", v.secret, v.id, tsText, v.sig, body, ts.Add(-6 * time.Minute), ErrTooOld, ""},
		{"bad timestamp", v.secret, v.id, "yesterday", v.sig, body, ts, ErrTimestamp, ""},
		{"no v1", v.secret, v.id, tsText, "v2," + strings.TrimPrefix(v.sig, "v1,"), body, ts, ErrNoSignature, ""},
		{"bad secret", "whsec_!!", v.id, tsText, v.sig, body, ts, nil, "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.id, tt.ts, tt.sig, tt.body, tt.now, DefaultTolerance)
			switch {
			case tt.wantMessageMatch != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantMessageMatch) {
					t.Fatalf("Verify = %v, want an error about %s", err, tt.wantMessageMatch)
				}
			case tt.want == nil && err != nil:
				t.Fatalf("Verify = %v, want valid", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestHeadersRoundTrip(t *testing.T) {
	secret := NewSecret()
	if !strings.HasPrefix(secret, SecretPrefix) || len(secret) != len(SecretPrefix)+44 {
		t.Fatalf("NewSecret = %q, want whsec_ and 44 base64 characters", secret)
	}
	now := time.Unix(1772366400, 0)
	body := []byte(`{"id":1}`)
	h, err := Headers(secret, "key", "evt_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	if h[HeaderID] != "evt_1" || h[HeaderTimestamp] != "1772366400" {
		t.Fatalf("headers = %v", h)
	}
	if err := Verify(secret, h[HeaderID], h[HeaderTimestamp], h[HeaderSignature], body, now, 0); err != nil {
		t.Fatalf("Verify of own headers: %v", err)
	}
	if err := VerifyHash("key", h[HeaderHash], body); err != nil {
		t.Fatalf("VerifyHash of own headers: %v", err)
	}
	h, _ = Headers(secret, "", "evt_1", now, body)
	if _, ok := h[HeaderHash]; ok {
		t.Fatal("Hash sent without an API key")
	}
}

// TestSignatureHeaders: the names a log shows are exactly the headers
// Headers sets, with and without the application's key.
func TestSignatureHeaders(t *testing.T) {
	for _, apiKey := range []string{"", "key_live_1"} {
		h, err := Headers(NewSecret(), apiKey, "evt_1", time.Unix(1772366400, 0), []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for name := range h {
			got = append(got, name)
		}
		want := SignatureHeaders(apiKey != "")
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("key %q: Headers sets %v, SignatureHeaders names %v", apiKey, got, want)
		}
	}
}
