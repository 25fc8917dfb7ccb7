package spanjson

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// infoTimesTrace is an MLflow trace of one root span whose info request
// time and duration are given apart from the span's.
func infoTimesTrace(reqTime time.Time, dur time.Duration, rootStart, rootEnd int64) *Trace {
	root := NewSpan(SpanData{TraceID: TraceID{0x0a, 0xf7, 1}, SpanID: SpanID{0xa1}, Name: "root",
		StartTime: rootStart, EndTime: rootEnd, Status: Status{Code: StatusOK}})
	return &Trace{
		Info: TraceInfo{TraceID: TraceID{0x0a, 0xf7, 1}.MLflowID(), RequestTime: reqTime,
			ExecutionDuration: dur, HasDuration: true, State: StateOK},
		Spans: []Span{root},
	}
}

// The OTLP write reports the info request time and duration by the MLflow
// writers' own millisecond rule: a value is lost exactly when an MLflow
// write of what a reader rebuilds from the OTLP output would not give it
// back.
func TestAppendOTLPInfoTimesByTheWritersRule(t *testing.T) {
	const base = int64(1735689600123_000_000) // 2025-01-01T00:00:00.123Z
	ms := time.UnixMilli(base / 1e6).UTC()
	tests := []struct {
		name       string
		reqTime    time.Time
		dur        time.Duration
		start, end int64 // root span
		want       []Loss
	}{
		{"1ms vs a root of 1us (dur_1ms_vs_1us_v3.json)", ms, time.Millisecond, base + 456789, base + 457789,
			[]Loss{{Field: "info.execution_duration", Count: 1}}},
		{"7ms vs a root of 1us", ms, 7 * time.Millisecond, base + 456789, base + 457789,
			[]Loss{{Field: "info.execution_duration", Count: 1}}},
		{"1ms vs a root of 1.0004ms", ms, time.Millisecond, base, base + 1_000_400, nil},
		{"1ms vs a root of 1.9999ms", ms, time.Millisecond, base, base + 1_999_900, nil},
		{"2ms vs a root of 1.9999ms: written back as 1", ms, 2 * time.Millisecond, base, base + 1_999_900,
			[]Loss{{Field: "info.execution_duration", Count: 1}}},
		{"exact nanoseconds", time.Unix(0, base+5).UTC(), 1_000_400, base + 5, base + 1_000_405, nil},
		{"sub-millisecond digits only", ms, 1_000_400, base, base + 1_000_000,
			[]Loss{{Field: "info.execution_duration sub-millisecond precision", Count: 1}}},
		{"request time .123 vs a root at .123999", ms, time.Millisecond, base + 999_999, base + 1_999_999, nil},
		{"request time .123 vs a root at .122999: written back as .122", ms, time.Millisecond, base - 1, base + 999_999,
			[]Loss{{Field: "info.request_time", Count: 1}}},
		{"request time .123 vs a root at .124", ms, time.Millisecond, base + 1_000_000, base + 2_000_000,
			[]Loss{{Field: "info.request_time", Count: 1}}},
		{"request time sub-millisecond digits only", time.Unix(0, base+400).UTC(), time.Millisecond, base, base + 1_000_000,
			[]Loss{{Field: "info.request_time sub-millisecond precision", Count: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, losses, err := appendOTLP(nil, infoTimesTrace(tt.reqTime, tt.dur, tt.start, tt.end))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, losses); d != "" {
				t.Errorf("losses (-want +got):\n%s", d)
			}
		})
	}
}

// The loss check and the writers agree: v3 → OTLP reports the request time
// or the duration exactly when v3 → OTLP → v3 does not give it back.
func TestOTLPInfoLossAgreesWithTheRoundTrip(t *testing.T) {
	const base = int64(1735689600123_000_000)
	offsets := []int64{-1_000_001, -1_000_000, -999_999, -1, 0, 1, 400, 999_999, 1_000_000, 1_000_001, 6_999_999, 7_000_000}
	lengths := []int64{1, 1000, 999_999, 1_000_000, 1_000_001, 1_999_999, 2_000_000, 7_000_000, 7_000_001}
	for _, reqMS := range []int64{-1, 0, 1} {
		for _, durMS := range []int64{0, 1, 2, 7} {
			for _, off := range offsets {
				for _, n := range lengths {
					in := infoTimesTrace(time.UnixMilli(base/1e6+reqMS).UTC(), time.Duration(durMS)*time.Millisecond, base+off, base+off+n)
					m1, _ := write(t, SchemaMLflowV3, in)
					t1 := readOne(t, m1, SchemaMLflowV3)
					o, losses := write(t, SchemaOTLP, t1)
					m2, _ := write(t, SchemaMLflowV3, readOne(t, o, SchemaOTLP))
					back := readOne(t, m2, SchemaMLflowV3)
					lost := lossMap(losses)
					if got, want := lost["info.request_time"] > 0, !back.Info.RequestTime.Equal(t1.Info.RequestTime); got != want {
						t.Errorf("request time %v, root at %d: loss reported %v, changed %v (%v)", t1.Info.RequestTime, base+off, got, want, back.Info.RequestTime)
					}
					if got, want := lost["info.execution_duration"] > 0, back.Info.ExecutionDuration != t1.Info.ExecutionDuration; got != want {
						t.Errorf("duration %v, root of %dns: loss reported %v, changed %v (%v)", t1.Info.ExecutionDuration, n, got, want, back.Info.ExecutionDuration)
					}
					if len(losses) == 0 && !bytes.Equal(m1, m2) {
						t.Errorf("no loss reported, yet v3 → otlp → v3 changed\n%s\ninto\n%s", m1, m2)
					}
				}
			}
		}
	}
}

// The MLflow writers report what a reader of their output does not get
// back: event times its unit inference (eventTime) reads in another unit,
// a request time the ISO form cannot hold, a trace location MLflow 2 has
// no member for. Each case is written, read back and compared: a change
// without a loss is the silent kind.
func TestMLflowWriteLossesAgreeWithReadBack(t *testing.T) {
	const ns = int64(1735689600123_000_000)
	span := func(evTime int64) Span {
		return NewSpan(SpanData{TraceID: TraceID{0x0a, 0xf7, 1}, SpanID: SpanID{0xa1}, Name: "root",
			StartTime: ns, EndTime: ns + 1e6, Events: []Event{{Name: "e", Time: evTime}}})
	}
	info := func(f func(*TraceInfo)) TraceInfo {
		in := TraceInfo{TraceID: TraceID{0x0a, 0xf7, 1}.MLflowID(), RequestTime: time.Unix(0, ns).UTC(),
			ExecutionDuration: time.Millisecond, HasDuration: true, State: StateOK}
		if f != nil {
			f(&in)
		}
		return in
	}
	tests := []struct {
		name   string
		schema Schema
		t      Trace
		want   []Loss
	}{
		{"event time in ns", SchemaMLflowV3, Trace{Info: info(nil), Spans: []Span{span(ns + 5)}}, nil},
		{"event time of 5000 ns reads back as 5000 s", SchemaMLflowV3, Trace{Info: info(nil), Spans: []Span{span(5000)}},
			[]Loss{{Field: "event.time_unix_nano", Count: 1}}},
		{"event time of 5 s written as ns reads back as 5e18", SchemaMLflowV2, Trace{Info: info(nil), Spans: []Span{span(5e9)}},
			[]Loss{{Field: "event.timestamp", Count: 1}}},
		{"event time zero", SchemaMLflowV2, Trace{Info: info(nil), Spans: []Span{span(0)}}, nil},
		{"request time in year 33658", SchemaMLflowV3, Trace{Info: info(func(in *TraceInfo) { in.RequestTime = time.UnixMilli(1e15).UTC() }), Spans: []Span{span(ns)}},
			[]Loss{{Field: "info.request_time", Count: 1}}},
		{"request time in year 33658 as MLflow 2 ms", SchemaMLflowV2, Trace{Info: info(func(in *TraceInfo) { in.RequestTime = time.UnixMilli(1e15).UTC() }), Spans: []Span{span(ns)}}, nil},
		{"request time before 1970", SchemaMLflowV3, Trace{Info: info(func(in *TraceInfo) { in.RequestTime = time.UnixMilli(-1e12).UTC() }), Spans: []Span{span(ns)}}, nil},
		{"inference-table location type in MLflow 2", SchemaMLflowV2, Trace{Info: info(func(in *TraceInfo) { in.LocationType = "INFERENCE_TABLE" }), Spans: []Span{span(ns)}},
			[]Loss{{Field: "info.trace_location", Count: 1}}},
		{"experiment location in MLflow 2", SchemaMLflowV2, Trace{Info: info(func(in *TraceInfo) { in.LocationType, in.ExperimentID = ExperimentLocation, "3" }), Spans: []Span{span(ns)}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, losses := write(t, tt.schema, &tt.t)
			if d := cmp.Diff(tt.want, losses); d != "" {
				t.Errorf("losses (-want +got):\n%s", d)
			}
			back := readOne(t, out, tt.schema)
			in, got := tt.t.Info, back.Info
			changed := !got.RequestTime.Equal(in.RequestTime) || got.ExecutionDuration != in.ExecutionDuration ||
				in.LocationType != "" && got.LocationType != in.LocationType ||
				back.Spans[0].Data().Events[0].Time != tt.t.Spans[0].Data().Events[0].Time
			if changed != (len(losses) > 0) {
				t.Errorf("read back changed: %v, losses %v\nwrote %s", changed, losses, out)
			}
		})
	}
}
