package send

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// outcome is what one attempt to export a batch came to.
type outcome struct {
	err error // nil: the receiver took the request (rejected may be > 0)
	// rejected and message are the partial success of a taken request.
	rejected int64
	message  string
	// retryable: the OTLP specification says to try again; retryAfter, when
	// set, is how long the receiver asked to wait.
	retryable     bool
	retryAfter    time.Duration
	hasRetryAfter bool
	// fatal: every request to this endpoint will fail the same way (not
	// found, unauthorised...); the run stops.
	fatal bool
}

// exporter sends export requests over one protocol.
type exporter interface {
	// prepare encodes a request once; attempt sends it, as often as asked.
	prepare(req ptraceotlp.ExportRequest) (any, error)
	attempt(ctx context.Context, payload any) outcome
	close() error
}

// maxAnswer bounds how much of an answer's body is read.
const maxAnswer = 64 << 10

type httpExporter struct {
	client  *http.Client
	url     string
	json    bool
	gzip    bool
	headers http.Header
	now     func() time.Time
}

func newHTTPExporter(cfg *Config, t Target) *httpExporter {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	h := http.Header{}
	for _, kv := range cfg.Headers {
		h.Add(kv.Key, kv.Value)
	}
	h.Set("User-Agent", cfg.UserAgent)
	return &httpExporter{
		client:  &http.Client{Transport: tr},
		url:     t.URL,
		json:    cfg.Protocol == HTTPJSON,
		gzip:    cfg.Gzip,
		headers: h,
		now:     cfg.now,
	}
}

func (e *httpExporter) close() error {
	e.client.CloseIdleConnections()
	return nil
}

func (e *httpExporter) prepare(req ptraceotlp.ExportRequest) (any, error) {
	var body []byte
	var err error
	if e.json {
		body, err = req.MarshalJSON()
	} else {
		body, err = req.MarshalProto()
	}
	if err != nil {
		return nil, fmt.Errorf("cannot encode the request: %w", err)
	}
	if !e.gzip {
		return body, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(body) / 4)
	zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (e *httpExporter) attempt(ctx context.Context, payload any) outcome {
	body := payload.([]byte)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return outcome{err: err, fatal: true}
	}
	req.Header = e.headers.Clone()
	if e.json {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Content-Type", "application/x-protobuf")
	}
	if e.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		// No answer (refused, reset, timed out): try again while time is left.
		return outcome{err: unwrapURLError(err), retryable: true}
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))

	if resp.StatusCode/100 == 2 {
		return httpSuccess(answer, ct)
	}
	out := outcome{err: fmt.Errorf("HTTP %s%s", resp.Status, answerText(answer, ct))}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		out.retryable = true
		out.retryAfter, out.hasRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), e.now())
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusUnsupportedMediaType:
		out.fatal = true
	}
	return out
}

// httpSuccess reads the ExportTraceServiceResponse of a 2xx answer.
func httpSuccess(answer []byte, ct string) outcome {
	if len(answer) == 0 {
		return outcome{}
	}
	resp := ptraceotlp.NewExportResponse()
	var err error
	switch ct {
	case "application/x-protobuf":
		err = resp.UnmarshalProto(answer)
	case "application/json":
		err = resp.UnmarshalJSON(answer)
	default:
		return outcome{} // not an OTLP answer (some backends say "ok"): taken whole
	}
	if err != nil {
		return outcome{}
	}
	ps := resp.PartialSuccess()
	return outcome{rejected: ps.RejectedSpans(), message: ps.ErrorMessage()}
}

// answerText is ": " and the message of an error answer: a google.rpc.Status
// when it is one, else the start of the body as text.
func answerText(answer []byte, ct string) string {
	if len(answer) == 0 {
		return ""
	}
	st := &statuspb.Status{}
	switch {
	case ct == "application/x-protobuf" && proto.Unmarshal(answer, st) == nil && st.GetMessage() != "":
		return ": " + st.GetMessage()
	case ct == "application/json" && protojson.Unmarshal(answer, st) == nil && st.GetMessage() != "":
		return ": " + st.GetMessage()
	}
	text := strings.TrimSpace(string(answer))
	if strings.HasPrefix(ct, "text/html") || text == "" {
		return ""
	}
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	return ": " + text
}
