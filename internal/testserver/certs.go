package testserver

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

// Certs holds a throwaway CA and a server and a client certificate it signed,
// all PEM encoded. The server certificate is valid for localhost, 127.0.0.1
// and ::1.
type Certs struct {
	CA         []byte
	ServerCert []byte
	ServerKey  []byte
	ClientCert []byte
	ClientKey  []byte
}

// CertFiles names the files WriteFiles wrote.
type CertFiles struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
}

// GenerateCerts makes a new CA with a server and a client certificate, valid
// for a day.
func GenerateCerts() (*Certs, error) {
	caKey, caDER, err := newCert(&x509.Certificate{
		Subject:               pkix.Name{CommonName: "grpcpulse test CA"},
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}, nil, nil)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	serverKey, serverDER, err := newCert(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, caKey)
	if err != nil {
		return nil, err
	}
	clientKey, clientDER, err := newCert(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "grpcpulse test client"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca, caKey)
	if err != nil {
		return nil, err
	}
	c := &Certs{CA: pemCert(caDER), ServerCert: pemCert(serverDER), ClientCert: pemCert(clientDER)}
	if c.ServerKey, err = pemKey(serverKey); err != nil {
		return nil, err
	}
	if c.ClientKey, err = pemKey(clientKey); err != nil {
		return nil, err
	}
	return c, nil
}

var serialLimit = new(big.Int).Lsh(big.NewInt(1), 62)

// newCert creates a certificate from tmpl, signed by parent (self-signed when
// parent is nil).
func newCert(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, serialLimit)
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("testserver: create certificate: %w", err)
	}
	return key, der, nil
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func pemKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// ServerConfig is the server side TLS configuration; clientAuth demands a
// client certificate signed by the CA.
func (c *Certs) ServerConfig(clientAuth bool) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(c.ServerCert, c.ServerKey)
	if err != nil {
		return nil, fmt.Errorf("testserver: server key pair: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientAuth {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		if cfg.ClientCAs, err = c.pool(); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// ClientConfig trusts the CA and presents the client certificate.
func (c *Certs) ClientConfig() (*tls.Config, error) {
	cert, err := tls.X509KeyPair(c.ClientCert, c.ClientKey)
	if err != nil {
		return nil, fmt.Errorf("testserver: client key pair: %w", err)
	}
	pool, err := c.pool()
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

func (c *Certs) pool() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.CA) {
		return nil, errors.New("testserver: bad CA PEM")
	}
	return pool, nil
}

// WriteFiles writes the PEM files into dir (ca.pem, server.pem,
// server-key.pem, client.pem, client-key.pem) and returns their paths.
func (c *Certs) WriteFiles(dir string) (CertFiles, error) {
	f := CertFiles{
		CA:         filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server.pem"),
		ServerKey:  filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "client.pem"),
		ClientKey:  filepath.Join(dir, "client-key.pem"),
	}
	for path, data := range map[string][]byte{
		f.CA: c.CA, f.ServerCert: c.ServerCert, f.ServerKey: c.ServerKey,
		f.ClientCert: c.ClientCert, f.ClientKey: c.ClientKey,
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return CertFiles{}, fmt.Errorf("testserver: %w", err)
		}
	}
	return f, nil
}

// TestCerts is GenerateCerts and WriteFiles into dir for tests: it fails
// the test on error.
func TestCerts(t TB, dir string) (*Certs, CertFiles) {
	t.Helper()
	certs, err := GenerateCerts()
	if err != nil {
		t.Fatalf("certificates: %v", err)
	}
	files, err := certs.WriteFiles(dir)
	if err != nil {
		t.Fatalf("certificate files: %v", err)
	}
	return certs, files
}
