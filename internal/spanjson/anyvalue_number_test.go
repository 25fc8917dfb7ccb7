package spanjson

import (
	"bytes"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// numberEdges are JSON numbers at and beyond the edges of int64 and
// float64, with the AnyValue an MLflow attribute holding each becomes in
// OTLP: a number where int64 or float64 holds it as written, else a
// stringValue of its JSON text.
var numberEdges = []struct {
	text string
	want string
}{
	{"0", `{"intValue":"0"}`},
	{"9223372036854775807", `{"intValue":"9223372036854775807"}`},   // max int64
	{"-9223372036854775808", `{"intValue":"-9223372036854775808"}`}, // min int64
	{"9007199254740993", `{"intValue":"9007199254740993"}`},         // 2^53+1
	{"9223372036854775808", `{"stringValue":"9223372036854775808"}`},
	{"18446744073709551615", `{"stringValue":"18446744073709551615"}`}, // max uint64
	{"12345678901234567890", `{"stringValue":"12345678901234567890"}`},
	{"-12345678901234567890", `{"stringValue":"-12345678901234567890"}`},
	{"123456789012345678901234567890", `{"stringValue":"123456789012345678901234567890"}`},
	{"-0", `{"stringValue":"-0"}`}, // intValue 0 would read back as 0
	{"-0.0", `{"doubleValue":-0.0}`},
	{"1.5", `{"doubleValue":1.5}`},
	{"0.1", `{"doubleValue":0.1}`},
	{"1e300", `{"doubleValue":1e300}`},
	{"-2.5E-7", `{"doubleValue":-2.5E-7}`},
	{"1.7976931348623157e308", `{"doubleValue":1.7976931348623157e308}`}, // max float64
	{"5e-324", `{"doubleValue":5e-324}`},                                 // min denormal
	{"1e400", `{"stringValue":"1e400"}`},                                 // overflows float64
	{"-1e400", `{"stringValue":"-1e400"}`},
	{"1e-400", `{"stringValue":"1e-400"}`}, // underflows to 0
	{"9007199254740993.0", `{"stringValue":"9007199254740993.0"}`},
	{"1.00000000000000000001", `{"stringValue":"1.00000000000000000001"}`},
	{"12345678901234567890.0", `{"stringValue":"12345678901234567890.0"}`},
}

func TestAppendAttrValueNumberEdges(t *testing.T) {
	for _, tt := range numberEdges {
		got, inexact := appendAttrValue(nil, Attribute{Key: "n", Value: tt.text, Type: ValueJSON}, false)
		if string(got) != tt.want || inexact != 0 {
			t.Errorf("span attribute %s: got %s (%d inexact), want %s", tt.text, got, inexact, tt.want)
		}
		// An event attribute holds the plain value: a stringValue reads
		// back as a JSON string, so that one is counted as inexact.
		got, inexact = appendAttrValue(nil, Attribute{Key: "n", Value: tt.text, Type: ValueJSON}, true)
		wantInexact := 0
		if bytes.HasPrefix([]byte(tt.want), []byte(`{"stringValue"`)) {
			wantInexact = 1
		}
		if string(got) != tt.want || inexact != wantInexact {
			t.Errorf("event attribute %s: got %s (%d inexact), want %s (%d)", tt.text, got, inexact, tt.want, wantInexact)
		}
		// nested in an array, as a plain value
		got, inexact = appendAttrValue(nil, Attribute{Key: "n", Value: "[" + tt.text + "]", Type: ValueJSON}, true)
		if want := `{"arrayValue":{"values":[` + tt.want + `]}}`; string(got) != want || inexact != wantInexact {
			t.Errorf("event attribute [%s]: got %s (%d inexact), want %s (%d)", tt.text, got, inexact, want, wantInexact)
		}
	}
}

// v3 → OTLP → v3 gives every span attribute number back as the same JSON
// text; an event attribute number comes back the same unless the OTLP
// write reported a loss. Every OTLP document written is one the
// collector's pdata reads.
func TestRoundTripNumberEdgesThroughOTLP(t *testing.T) {
	for _, tt := range numberEdges {
		doc := `{"info":{"trace_id":"tr-0af7651916cd43dd8448eb211c80319c","request_time":"2025-01-01T00:00:00.123Z","execution_duration_ms":1,"state":"OK"},` +
			`"data":{"spans":[{"trace_id":"CvdlGRbNQ92ESOshHIAxnA==","span_id":"AAAAAAAAAKE=","parent_span_id":null,"name":"root",` +
			`"start_time_unix_nano":1735689600123000000,"end_time_unix_nano":1735689600124000000,"status":{"code":"STATUS_CODE_OK","message":""},` +
			`"attributes":{"num":"` + tt.text + `"},"events":[{"name":"e","time_unix_nano":1735689600123500000,"attributes":{"num":` + tt.text + `}}]}]}}`
		t1 := readOne(t, []byte(doc), SchemaMLflowV3)
		o, losses := write(t, SchemaOTLP, t1)
		if _, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(o); err != nil {
			t.Errorf("%s: pdata cannot read the OTLP written: %v\n%s", tt.text, err, o)
		}
		t2 := readOne(t, o, SchemaOTLP)
		m2, _ := write(t, SchemaMLflowV3, t2)
		back := readOne(t, m2, SchemaMLflowV3).Spans[0].Data()
		if v, _ := back.Attributes.Lookup("num"); v.Value != tt.text {
			t.Errorf("span attribute %s came back as %s", tt.text, v.Value)
		}
		ev, _ := back.Events[0].Attributes.Lookup("num")
		changed := ev.Value != tt.text
		if lost := lossMap(losses)["attribute value type"] > 0; lost != changed {
			t.Errorf("event attribute %s came back as %s; loss reported: %v", tt.text, ev.Value, lost)
		}
		if d := cmp.Diff(map[string]int(nil), nonNumberLosses(losses)); d != "" {
			t.Errorf("%s: other losses: %s", tt.text, d)
		}
	}
}

func nonNumberLosses(ls []Loss) map[string]int {
	var m map[string]int
	for _, l := range ls {
		if l.Field != "attribute value type" {
			if m == nil {
				m = map[string]int{}
			}
			m[l.Field] += l.Count
		}
	}
	return m
}

// FuzzAppendNumberValue: whatever AnyValue a JSON number becomes, the OTLP
// reader gives a span attribute the same text back, and a plain value the
// same text exactly when appendNumberValue says so; a doubleValue is always
// in float64's range; float64Faithful agrees with exact rational arithmetic.
func FuzzAppendNumberValue(f *testing.F) {
	for _, tt := range numberEdges {
		f.Add(tt.text)
	}
	f.Fuzz(func(t *testing.T, n string) {
		if len(n) > 64 || !isJSONNumber(n) {
			return
		}
		out, exact := appendNumberValue(nil, n, false)
		r := gjson.ParseBytes(out)
		if got, _, err := decodeAnyValue(r, false, 0); err != nil || got != n {
			t.Fatalf("%s wrote %s, read back as span attribute %q (%v)", n, out, got, err)
		}
		got, _, err := decodeAnyValue(r, true, 0)
		if err != nil || (got == n) != exact {
			t.Fatalf("%s wrote %s, read back as plain value %q (%v), exact %v", n, out, got, err, exact)
		}
		if d := r.Get("doubleValue"); d.Exists() {
			if _, err := strconv.ParseFloat(d.Raw, 64); err != nil {
				t.Fatalf("%s wrote doubleValue %s: %v", n, d.Raw, err)
			}
		}
		// reference: exact rationals, for exponents small enough to expand
		if e := strings.IndexAny(n, "eE"); e >= 0 {
			if x, err := strconv.Atoi(n[e+1:]); err != nil || x > 400 || x < -400 {
				return
			}
		}
		fl, err := strconv.ParseFloat(n, 64)
		want := false
		if err == nil {
			a, ok1 := new(big.Rat).SetString(n)
			b, ok2 := new(big.Rat).SetString(strconv.FormatFloat(fl, 'e', -1, 64))
			want = ok1 && ok2 && a.Cmp(b) == 0 && (math.Signbit(fl) == strings.HasPrefix(n, "-"))
		}
		if got := float64Faithful(n); got != want {
			t.Fatalf("float64Faithful(%s) = %v, exact arithmetic says %v", n, got, want)
		}
	})
}
