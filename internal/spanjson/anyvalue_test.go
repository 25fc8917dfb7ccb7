package spanjson

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

func TestDecodeAnyValue(t *testing.T) {
	tests := []struct {
		name      string
		value     string // the AnyValue JSON
		plain     bool
		wantValue string
		wantType  ValueType
	}{
		{"string camel", `{"stringValue":"some value"}`, false, `some value`, ValueString},
		{"string snake", `{"string_value":"\"AGENT\""}`, false, `"AGENT"`, ValueString},
		{"string plain quoted", `{"stringValue":"BadRequestError"}`, true, `"BadRequestError"`, ValueString},
		{"string plain escapes", `{"stringValue":"a\"b\\c\n"}`, true, `"a\"b\\c\n"`, ValueString},
		{"bool true", `{"boolValue":true}`, false, `true`, ValueBool},
		{"bool snake false", `{"bool_value":false}`, false, `false`, ValueBool},
		{"int as string", `{"intValue":"31"}`, false, `31`, ValueInt},
		{"int as number", `{"intValue":31}`, false, `31`, ValueInt},
		{"int snake negative", `{"int_value":"-9223372036854775808"}`, false, `-9223372036854775808`, ValueInt},
		{"int max no float64 loss", `{"intValue":9223372036854775807}`, false, `9223372036854775807`, ValueInt},
		{"double integral gets .0", `{"doubleValue":2}`, false, `2.0`, ValueDouble},
		{"double as written", `{"doubleValue":0.1}`, false, `0.1`, ValueDouble},
		{"double exponent kept", `{"double_value":1e-7}`, false, `1e-7`, ValueDouble},
		{"double in string", `{"doubleValue":"2.5"}`, false, `2.5`, ValueDouble},
		{"double NaN", `{"doubleValue":"NaN"}`, false, `"NaN"`, ValueDouble},
		{"bytes", `{"bytesValue":"AQID"}`, false, `"AQID"`, ValueBytes},
		{"array of mixed", `{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"},{"doubleValue":2},{"boolValue":true},{}]}}`, false, `["a",1,2.0,true,null]`, ValueArray},
		{"array snake empty", `{"array_value":{}}`, false, `[]`, ValueArray},
		{"nested kvlist", `{"kvlistValue":{"values":[{"key":"k","value":{"arrayValue":{"values":[{"kvlistValue":{"values":[{"key":"x","value":{"bytesValue":"AA=="}}]}}]}}},{"key":"n","value":{"int_value":7}}]}}`, false, `{"k":[{"x":"AA=="}],"n":7}`, ValueKVList},
		{"empty any value is null", `{}`, false, `null`, ValueJSON},
		{"null member is absent", `{"stringValue":null}`, false, `null`, ValueJSON},
		{"unknown member ignored", `{"futureValue":1,"intValue":"3"}`, false, `3`, ValueInt},
		{"plain JSON string tolerated", `"bare"`, false, `bare`, ValueString},
		{"plain JSON number tolerated", `12`, false, `12`, ValueInt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, typ, err := decodeAnyValue(gjson.Parse(tt.value), tt.plain, 0)
			if err != nil {
				t.Fatal(err)
			}
			if v != tt.wantValue || typ != tt.wantType {
				t.Errorf("got (%s, %d), want (%s, %d)", v, typ, tt.wantValue, tt.wantType)
			}
		})
	}
}

func TestDecodeAnyValueErrors(t *testing.T) {
	tests := []struct {
		value   string
		wantErr string
	}{
		{`{"intValue":"12a"}`, `intValue "12a" is not a 64-bit integer`},
		{`{"intValue":1.5}`, `intValue "1.5" is not a 64-bit integer`},
		{`{"intValue":"9223372036854775808"}`, `not a 64-bit integer`},
		{`{"boolValue":"yes"}`, `boolValue must be true or false`},
		{`{"doubleValue":"abc"}`, `doubleValue must be a number`},
		{`{"stringValue":5}`, `stringValue must be a string, got number 5`},
		{`{"arrayValue":{"values":{}}}`, `arrayValue.values must be a list`},
		{`{"kvlistValue":{"values":[1]}}`, `kvlistValue.values[0]: want a {"key", "value"} object`},
		{`[1]`, `want an AnyValue object, got a list`},
		{strings.Repeat(`{"arrayValue":{"values":[`, 70) + strings.Repeat(`]}}`, 70), `nested too deep`},
	}
	for _, tt := range tests {
		_, _, err := decodeAnyValue(gjson.Parse(tt.value), false, 0)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("decodeAnyValue(%s) error = %v, want it to contain %q", tt.value, err, tt.wantErr)
		}
	}
}

func TestDecodeKVList(t *testing.T) {
	got, err := decodeKVList(gjson.Parse(`[
		{"key":"service.name","value":{"stringValue":"agent"}},
		{"key":"n","value":{"int_value":"31"}},
		{"key":"empty"}
	]`), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []Attribute{
		{Key: "service.name", Value: "agent", Type: ValueString},
		{Key: "n", Value: "31", Type: ValueInt},
		{Key: "empty", Value: "null", Type: ValueJSON},
	}
	if d := cmp.Diff(want, got.List()); d != "" {
		t.Errorf("attributes (-want +got):\n%s", d)
	}

	for _, absent := range []string{``, `null`} {
		a, err := decodeKVList(gjson.Parse(absent), false)
		if err != nil || a.Len() != 0 {
			t.Errorf("decodeKVList(%q) = %d attributes, %v; want none, nil", absent, a.Len(), err)
		}
	}

	_, err = decodeKVList(gjson.Parse(`[{"key":"a","value":{"stringValue":"x"}},{"key":"b","value":{"intValue":"x"}}]`), false)
	if err == nil || err.Error() != `[1] (key "b"): intValue "x" is not a 64-bit integer` {
		t.Errorf("error = %v", err)
	}
	_, err = decodeKVList(gjson.Parse(`{"a":1}`), false)
	if err == nil || !strings.Contains(err.Error(), "want a list") {
		t.Errorf("object in place of list: error = %v", err)
	}
}

func TestAppendAttrValue(t *testing.T) {
	tests := []struct {
		name  string
		at    Attribute
		plain bool
		want  string
	}{
		// typed values restore their AnyValue
		{"bool", Attribute{Value: "true", Type: ValueBool}, false, `{"boolValue":true}`},
		{"int", Attribute{Value: "-5", Type: ValueInt}, false, `{"intValue":"-5"}`},
		{"double", Attribute{Value: "2.0", Type: ValueDouble}, false, `{"doubleValue":2.0}`},
		{"double NaN", Attribute{Value: `"NaN"`, Type: ValueDouble}, false, `{"doubleValue":"NaN"}`},
		{"bytes", Attribute{Value: `"AQID"`, Type: ValueBytes}, false, `{"bytesValue":"AQID"}`},
		{"array", Attribute{Value: `["a",1,2.5,null,[true]]`, Type: ValueArray}, false,
			`{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"},{"doubleValue":2.5},{},{"arrayValue":{"values":[{"boolValue":true}]}}]}}`},
		{"kvlist", Attribute{Value: `{"b":1,"a":{"c":"d"}}`, Type: ValueKVList}, false,
			`{"kvlistValue":{"values":[{"key":"b","value":{"intValue":"1"}},{"key":"a","value":{"kvlistValue":{"values":[{"key":"c","value":{"stringValue":"d"}}]}}}]}}`},
		{"bad int falls back to string", Attribute{Value: "x", Type: ValueInt}, false, `{"stringValue":"x"}`},

		// canonical mapping of span attribute text
		{"mlflow quoted string unwrapped", Attribute{Value: `"AGENT"`, Type: ValueJSON}, false, `{"stringValue":"AGENT"}`},
		{"otlp string that is JSON-quoted unwrapped", Attribute{Value: `"AGENT"`, Type: ValueString}, false, `{"stringValue":"AGENT"}`},
		{"quoted string holding JSON stays verbatim", Attribute{Value: `"123"`, Type: ValueJSON}, false, `{"stringValue":"\"123\""}`},
		{"integral number", Attribute{Value: `42`, Type: ValueJSON}, false, `{"intValue":"42"}`},
		{"int64 overflow stays its text", Attribute{Value: `9223372036854775808`, Type: ValueJSON}, false, `{"stringValue":"9223372036854775808"}`},
		{"number with dot", Attribute{Value: `2.0`, Type: ValueJSON}, false, `{"doubleValue":2.0}`},
		{"bool text", Attribute{Value: `false`, Type: ValueJSON}, false, `{"boolValue":false}`},
		{"null", Attribute{Value: `null`, Type: ValueJSON}, false, `{}`},
		{"object stays JSON text", Attribute{Value: `{"q":"hi"}`, Type: ValueJSON}, false, `{"stringValue":"{\"q\":\"hi\"}"}`},
		{"raw text", Attribute{Value: `CHAT_MODEL`, Type: ValueJSON}, false, `{"stringValue":"CHAT_MODEL"}`},
		{"otlp string number stays string", Attribute{Value: `123`, Type: ValueString}, false, `{"stringValue":"123"}`},
		{"otlp string true stays string", Attribute{Value: `true`, Type: ValueString}, false, `{"stringValue":"true"}`},
		{"unknown type treated as JSON", Attribute{Value: `7`, Type: ValueType(200)}, false, `{"intValue":"7"}`},

		// event/link attributes hold plain values
		{"plain string", Attribute{Value: `"BadRequestError"`, Type: ValueJSON}, true, `{"stringValue":"BadRequestError"}`},
		{"plain string holding JSON", Attribute{Value: `"123"`, Type: ValueString}, true, `{"stringValue":"123"}`},
		{"plain number", Attribute{Value: `400`, Type: ValueJSON}, true, `{"intValue":"400"}`},
		{"plain object", Attribute{Value: `{"a":[1]}`, Type: ValueJSON}, true, `{"kvlistValue":{"values":[{"key":"a","value":{"arrayValue":{"values":[{"intValue":"1"}]}}}]}}`},
		{"plain raw text", Attribute{Value: `not json`, Type: ValueJSON}, true, `{"stringValue":"not json"}`},
		{"escapes", Attribute{Value: "tab\there \"q\" \x01 \u2028 <>&", Type: ValueString}, false, `{"stringValue":"tab\there \"q\" \u0001 \u2028 <>&"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := appendAttrValue(nil, tt.at, tt.plain)
			got := string(out)
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if !gjson.Valid(got) {
				t.Errorf("output is not valid JSON")
			}
		})
	}
}

// Reading what appendKVList wrote gives back the same attributes, for every
// value the reader produces.
func TestKVListRoundTrip(t *testing.T) {
	for _, plain := range []bool{false, true} {
		in := `[{"key":"s","value":{"stringValue":"some value"}},
			{"key":"b","value":{"boolValue":true}},
			{"key":"i","value":{"intValue":31}},
			{"key":"d","value":{"doubleValue":2}},
			{"key":"e","value":{"doubleValue":1e-7}},
			{"key":"nan","value":{"doubleValue":"-Infinity"}},
			{"key":"y","value":{"bytesValue":"AQID"}},
			{"key":"a","value":{"array_value":{"values":[{"stringValue":"x"},{"doubleValue":3},{"kvlistValue":{"values":[]}}]}}},
			{"key":"kv","value":{"kvlistValue":{"values":[{"key":"z","value":{"intValue":"-1"}},{"key":"a"}]}}},
			{"key":"nil","value":{}},
			{"key":"unicode","value":{"stringValue":"héllo \u2029 \u0000"}}]`
		first, err := decodeKVList(gjson.Parse(in), plain)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := appendKVList(nil, first, plain)
		second, err := decodeKVList(gjson.ParseBytes(out), plain)
		if err != nil {
			t.Fatalf("plain=%v: reading %s: %v", plain, out, err)
		}
		if d := cmp.Diff(first.List(), second.List()); d != "" {
			t.Errorf("plain=%v: round trip changed attributes (-first +second):\n%s", plain, d)
		}
		if again, _ := appendKVList(nil, second, plain); string(again) != string(out) {
			t.Errorf("plain=%v: second write differs:\n%s\n%s", plain, out, again)
		}
	}
}

func TestAppendJSONText(t *testing.T) {
	tests := map[string]string{
		"":             `""`,
		"plain":        `"plain"`,
		"a\"b\\c":      `"a\"b\\c"`,
		"\n\r\t\x1f":   `"\n\r\t\u001f"`,
		"bad \xff utf": "\"bad \uFFFD utf\"",
		"日本":           `"日本"`,
	}
	for in, want := range tests {
		if got := string(appendJSONText(nil, in)); got != want {
			t.Errorf("appendJSONText(%q) = %s, want %s", in, got, want)
		}
	}
}

// FuzzDecodeKVList: the KeyValue-list decoder (used by the OTLP reader and
// the MLflow REST v3 reader) never panics, and what it decodes writes and
// reads back to the same canonical bytes.
func FuzzDecodeKVList(f *testing.F) {
	f.Add([]byte(`[{"key":"a","value":{"stringValue":"x"}},{"key":"b","value":{"int_value":3}}]`), false)
	f.Add([]byte(`[{"key":"k","value":{"kvlistValue":{"values":[{"key":"z","value":{"arrayValue":{"values":[{"doubleValue":2},{"bytesValue":"AQ=="},{}]}}}]}}}]`), true)
	f.Add([]byte(`[{"key":"s","value":{"stringValue":"\"AGENT\""}},{"key":"n","value":{"doubleValue":"NaN"}}]`), false)
	f.Fuzz(func(t *testing.T, data []byte, plain bool) {
		if !gjson.ValidBytes(data) {
			return
		}
		a, err := decodeKVList(gjson.ParseBytes(data), plain)
		if err != nil {
			return
		}
		out, _ := appendKVList(nil, a, plain)
		if !gjson.ValidBytes(out) {
			t.Fatalf("invalid JSON written: %s", out)
		}
		b, err := decodeKVList(gjson.ParseBytes(out), plain)
		if err != nil {
			t.Fatalf("cannot read back %s: %v", out, err)
		}
		if b.Len() != a.Len() {
			t.Fatalf("read back %d attributes, wrote %d", b.Len(), a.Len())
		}
		if again, _ := appendKVList(nil, b, plain); string(again) != string(out) {
			t.Fatalf("second write differs:\n%s\n%s", out, again)
		}
	})
}
