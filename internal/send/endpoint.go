package send

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Protocols of Config.Protocol, spelled as OTEL_EXPORTER_OTLP_PROTOCOL
// spells them.
const (
	HTTPProtobuf = "http/protobuf"
	HTTPJSON     = "http/json"
	GRPC         = "grpc"
)

// Protocols lists the protocols, the default first.
var Protocols = []string{HTTPProtobuf, HTTPJSON, GRPC}

// TracesPath is what an OTLP/HTTP endpoint without a path gets.
const TracesPath = "/v1/traces"

// Target is where requests go, resolved from an endpoint.
type Target struct {
	// URL is the OTLP/HTTP URL requests are posted to; for gRPC it is the
	// endpoint as a URL (scheme http or https, no path).
	URL string
	// Addr is host:port, the port filled in from the scheme when absent.
	Addr string
	// TLS is set for https:// endpoints.
	TLS bool
}

// ResolveEndpoint resolves an endpoint for protocol. An OTLP/HTTP
// endpoint is an http:// or https:// URL; without a path (or with "/") it
// gets /v1/traces, as OTEL_EXPORTER_OTLP_ENDPOINT does; with a path it is
// used as it is (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT's rule). A gRPC
// endpoint is host:port (plain text) or an http:// (plain text) or
// https:// (TLS) URL without a path.
func ResolveEndpoint(endpoint, protocol string) (Target, error) {
	raw := strings.TrimSpace(endpoint)
	if raw == "" {
		return Target{}, fmt.Errorf("empty endpoint")
	}
	if protocol == GRPC && !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, fmt.Errorf("invalid endpoint %q: %v", endpoint, unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		if protocol == GRPC {
			return Target{}, fmt.Errorf("invalid endpoint %q: want host:port or an http:// or https:// URL", endpoint)
		}
		return Target{}, fmt.Errorf("invalid endpoint %q: want an http:// or https:// URL", endpoint)
	}
	if u.Host == "" || u.Hostname() == "" {
		return Target{}, fmt.Errorf("invalid endpoint %q: no host", endpoint)
	}
	if u.User != nil {
		return Target{}, fmt.Errorf("invalid endpoint %q: user info in the URL is not sent; use --header 'Authorization=Basic CREDENTIALS'", endpoint)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	t := Target{Addr: net.JoinHostPort(u.Hostname(), port), TLS: u.Scheme == "https"}
	if protocol == GRPC {
		if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return Target{}, fmt.Errorf("invalid endpoint %q: a gRPC endpoint has no path (the service is opentelemetry.proto.collector.trace.v1.TraceService)", endpoint)
		}
		t.URL = u.Scheme + "://" + u.Host
		return t, nil
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = TracesPath
		u.RawPath = ""
	}
	t.URL = u.String()
	return t, nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
