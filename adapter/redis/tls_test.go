package redis_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sockgate/sockgate/adapter"
	"github.com/sockgate/sockgate/adapter/adaptertest"
	"github.com/sockgate/sockgate/adapter/redis"
	"github.com/sockgate/sockgate/internal/redistest"
)

// TestTLSURL runs the cluster suite over rediss:// against a redis-server serving TLS with
// a certificate of a private CA, given to the adapters in Config.TLS.
func TestTLSURL(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCert(t, nil, nil, true)
	srvCert, srvKey := newCert(t, ca, caKey, false)
	write := func(name string, blockType string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	tlsPort := redistest.FreePort(t)
	redistest.Start(t, "--tls-port", strconv.Itoa(tlsPort),
		"--tls-cert-file", write("server.crt", "CERTIFICATE", srvCert.Raw),
		"--tls-key-file", write("server.key", "EC PRIVATE KEY", keyDER),
		"--tls-ca-cert-file", write("ca.crt", "CERTIFICATE", ca.Raw),
		"--tls-auth-clients", "no")
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	url := "rediss://127.0.0.1:" + strconv.Itoa(tlsPort)
	adaptertest.Run(t, 2, func(tb testing.TB, n int) []adapter.Factory {
		key := freshKey()
		fs := make([]adapter.Factory, n)
		for i := range fs {
			c, err := redis.New(redis.Config{URL: url, TLS: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, Key: key, Logger: quiet})
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { _ = c.Close() })
			fs[i] = c.Adapter
		}
		return fs
	})
}

// newCert makes a CA certificate (parent nil) or a server certificate for 127.0.0.1
// signed by parent.
func newCert(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "sockgate test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign
		parent, parentKey = tmpl, key
	} else {
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}
