package store

import (
	"context"
	"fmt"
)

// SealedKind names a column that holds values sealed with the gateway's
// secret key (AES-GCM, see core's sealer): the operator's key rotation
// re-seals each of them.
type SealedKind string

// Every sealed column. A migration that adds one adds it here, and the
// rotation test finds it (TestSecretKeyRotate seals one of each).
const (
	SealedGatewaySecrets SealedKind = "gateway_configs.secrets"
	SealedWebhookSecret  SealedKind = "webhooks.secret"
	SealedAPIKey         SealedKind = "application_sealed_keys.sealed"
	SealedTOTP           SealedKind = "user_totp.sealed"
)

// SealedKinds lists every sealed column.
var SealedKinds = []SealedKind{SealedGatewaySecrets, SealedWebhookSecret, SealedAPIKey, SealedTOTP}

// SealedValue is one sealed value with what its seal is bound to: the row
// (ID), its tenant, and the gateway config's code.
type SealedValue struct {
	Kind          SealedKind
	ID            int64
	ClientID      string
	ApplicationID int64
	Code          string
	Sealed        []byte
}

// sealedQueries: the rows of each kind after an id, in id order, and the
// statement that replaces one's sealed value if it is still the one read
// (so that a rotation never overwrites a value changed meanwhile).
var sealedQueries = map[SealedKind][2]string{
	SealedGatewaySecrets: {`SELECT id, client_id, application_id, code, secrets FROM gateway_configs
		WHERE id > $1 AND secrets IS NOT NULL ORDER BY id LIMIT $2`,
		`UPDATE gateway_configs SET secrets = $1 WHERE id = $2 AND secrets = $3`},
	SealedWebhookSecret: {`SELECT id, client_id, application_id, '', secret FROM webhooks
		WHERE id > $1 ORDER BY id LIMIT $2`,
		`UPDATE webhooks SET secret = $1 WHERE id = $2 AND secret = $3`},
	SealedAPIKey: {`SELECT application_id, client_id, application_id, '', sealed FROM application_sealed_keys
		WHERE application_id > $1 ORDER BY application_id LIMIT $2`,
		`UPDATE application_sealed_keys SET sealed = $1 WHERE application_id = $2 AND sealed = $3`},
	// A TOTP secret's row is its user's: ID is the user id.
	SealedTOTP: {`SELECT user_id, client_id, 0, '', sealed FROM user_totp
		WHERE user_id > $1 ORDER BY user_id LIMIT $2`,
		`UPDATE user_totp SET sealed = $1 WHERE user_id = $2 AND sealed = $3`},
}

// SealedValues returns up to limit sealed values of kind whose row id is
// greater than after, in id order. It reads every tenant: it is for the
// operator's key rotation, which has no principal.
func (tx *Tx) SealedValues(ctx context.Context, kind SealedKind, after int64, limit int) ([]SealedValue, error) {
	q, ok := sealedQueries[kind]
	if !ok {
		return nil, fmt.Errorf("unknown sealed column %q", kind)
	}
	rows, err := tx.query(ctx, q[0], after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SealedValue
	for rows.Next() {
		v := SealedValue{Kind: kind}
		if err := rows.Scan(&v.ID, &v.ClientID, &v.ApplicationID, &v.Code, &v.Sealed); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ReplaceSealed sets the sealed value of v's row to sealed, if it still
// holds v.Sealed; it reports whether it did.
func (tx *Tx) ReplaceSealed(ctx context.Context, v SealedValue, sealed []byte) (bool, error) {
	tx.memo.forgetConfigs() // a config's sealed secrets may be among them
	q, ok := sealedQueries[v.Kind]
	if !ok {
		return false, fmt.Errorf("unknown sealed column %q", v.Kind)
	}
	res, err := tx.exec(ctx, q[1], sealed, v.ID, v.Sealed)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
