package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// TLS is served with a certificate and key from files: an operator's pair
// (from a CA, or a reverse proxy's), or a self-signed pair the gateway makes
// on first start for development. The self-signed pair is written beside the
// database and read again on later starts, so that a client told to trust
// it once keeps trusting it.

// selfSignedValidity is how long a generated certificate lasts.
const selfSignedValidity = 365 * 24 * time.Hour

// LoadTLS returns the TLS settings of a listener serving the certificate
// chain and private key in PEM files.
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: load %s and %s: %w", certFile, keyFile, err)
	}
	return tlsConfig(cert), nil
}

func tlsConfig(cert tls.Certificate) *tls.Config {
	// TLS 1.2 and later with Go's default (modern, forward-secret) suites.
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

// SelfSignedTLS returns the TLS settings of a listener serving the
// self-signed pair at certFile and keyFile. The pair is generated there
// when either file is missing, or when the certificate has expired (at
// now); generated reports whether it was.
func SelfSignedTLS(certFile, keyFile string, now time.Time) (cfg *tls.Config, generated bool, err error) {
	_, certErr := os.Stat(certFile)
	_, keyErr := os.Stat(keyFile)
	if certErr == nil && keyErr == nil {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, false, fmt.Errorf("tls: load the self-signed pair %s and %s: %w (remove both to make a new one)", certFile, keyFile, err)
		}
		if now.Before(cert.Leaf.NotAfter) {
			return tlsConfig(cert), false, nil
		}
		// An expired development certificate is replaced, not served; a
		// certificate someone else issued is theirs to renew, never ours
		// to overwrite.
		if !ownSelfSigned(cert.Leaf) {
			return nil, false, fmt.Errorf("tls: %s expired on %s and was not made by --tls-self-signed: renew it, or remove both files",
				certFile, cert.Leaf.NotAfter.Format(time.DateOnly))
		}
	} else if !errors.Is(certErr, os.ErrNotExist) && certErr != nil {
		return nil, false, fmt.Errorf("tls: %w", certErr)
	} else if !errors.Is(keyErr, os.ErrNotExist) && keyErr != nil {
		return nil, false, fmt.Errorf("tls: %w", keyErr)
	}
	certPEM, keyPEM, err := GenerateSelfSigned(now)
	if err != nil {
		return nil, false, err
	}
	// The key first, private from its first byte; the certificate last,
	// so that a start interrupted in between makes a new pair next time.
	if err := writeFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		return nil, false, err
	}
	if err := writeFileAtomic(certFile, certPEM, 0o644); err != nil {
		return nil, false, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, false, fmt.Errorf("tls: %w", err)
	}
	return tlsConfig(cert), true, nil
}

// selfSignedOrg names the organization of the certificates GenerateSelfSigned
// makes, by which an expired one is known to be the gateway's own.
const selfSignedOrg = "pasarela (development)"

func ownSelfSigned(c *x509.Certificate) bool {
	return c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil && len(c.Subject.Organization) == 1 && c.Subject.Organization[0] == selfSignedOrg
}

// GenerateSelfSigned makes an ECDSA P-256 key and a certificate for it,
// valid for a year from now for 127.0.0.1, ::1 and localhost, in PEM.
func GenerateSelfSigned(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("tls: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("tls: serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{selfSignedOrg}, CommonName: "localhost"},
		// A little slack before now, for clients whose clock runs behind.
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("tls: create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("tls: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// writeFileAtomic writes data to a temporary file of the same directory
// created with mode perm, syncs it and renames it over path, so that path
// never holds half a key nor, even for an instant, a key others can read.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("tls: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("tls: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("tls: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	return nil
}
