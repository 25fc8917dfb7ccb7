package spanjson

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeJaeger: decoding any input never panics, and every trace
// decoded from it (Jaeger or whatever else it turns out to be) writes as
// MLflow v3 and as OTLP, and reads back with the same spans.
func FuzzDecodeJaeger(f *testing.F) {
	addSeeds(f, "jaeger*", "jaegertracing-*")
	for _, s := range []string{
		`{"data":[{"traceID":"1","spans":[{"traceID":"1","spanID":"2","operationName":"x","references":[{"refType":"CHILD_OF","spanID":"2"}],"startTime":"x","tags":[{"key":"k","type":"binary","value":"=="}]}]}],"errors":[{"msg":"m"}]}`,
		`[{"traceID":"zz","spanID":"","operationName":"a","process":{"serviceName":1,"tags":[{"key":"b","type":"float64","value":"Infinity"}]},"logs":[{"timestamp":-1,"fields":[{"key":"event","value":3}]}],"startTime":18446744073709551615,"duration":9223372036854775807}]`,
		`{"traceID":"ab","spans":[],"warnings":["w",1]}`,
		`{"result":{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"1","spanId":"2"}]}]}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkWritesBack)
}

// FuzzDecodeZipkin is FuzzDecodeJaeger for Zipkin input.
func FuzzDecodeZipkin(f *testing.F) {
	addSeeds(f, "zipkin*", "*zipkin*")
	for _, s := range []string{
		`[{"traceId":"1","id":"2","kind":"CLIENT","timestamp":1,"duration":2},{"traceId":"1","id":"2","kind":"SERVER","shared":true,"timestamp":1},{"traceId":"1","id":"3","parentId":"2"}]`,
		`[{"traceId":"01","id":"2","parentId":"2","tags":{"error":"false","x":{"a":1}},"annotations":[{"value":"v","timestamp":"t"}],"remoteEndpoint":{"port":"p"}}]`,
		`{"traceId":"ffffffffffffffff0000000000000001","id":"1","timestamp":9223372036854775,"duration":9223372036854775,"localEndpoint":{}}`,
		`[{"traceId":"0000000000000001","id":"1"},{"traceId":"10000000000000001","id":"1","shared":true}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkWritesBack)
}

// addSeeds adds the fixtures and shared samples matching the patterns,
// but not large ones: the fuzzer spends its time minimising what it
// finds in them.
func addSeeds(f *testing.F, fixture, sample string) {
	for _, pat := range []string{fixturesDir + "/" + fixture, sharedSamplesDir + "/" + sample} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && len(b) <= 16<<10 {
				f.Add(b)
			}
		}
	}
}
