package tracediff

import "tracectl/internal/render"

// The -o json documents of `tracectl diff`. Fields are only ever added;
// lists come in a fixed order (the merged tree's pre-order for changes,
// first seen for run groups), never a map's.

// TraceLabel names one side of a two-trace diff.
type TraceLabel struct {
	TraceID string `json:"trace_id"`
	Name    string `json:"trace_name"`
	Source  string `json:"source"`
	State   string `json:"state"`
	Spans   int    `json:"spans"`
}

func labelOf(v *render.TraceView) TraceLabel {
	return TraceLabel{TraceID: v.TraceID(), Name: v.Name(), Source: v.Source, State: string(v.State()), Spans: len(v.Tree.Spans)}
}

// OptionsJSON says what counted as a change.
type OptionsJSON struct {
	MinChangePct  float64 `json:"min_change_pct"`
	MinChangeTime int64   `json:"min_change_ns"`
	IO            bool    `json:"io"`
}

func (o Options) json() OptionsJSON {
	return OptionsJSON{MinChangePct: o.MinChange * 100, MinChangeTime: int64(o.MinChangeTime), IO: o.IO}
}

// Report is the document of a two-trace diff.
type Report struct {
	Base    TraceLabel   `json:"base"`
	Cand    TraceLabel   `json:"candidate"`
	Options OptionsJSON  `json:"options"`
	Trace   TraceDelta   `json:"trace"`
	Changes []Change     `json:"changes"`
	Summary Summary      `json:"summary"`
	Gates   []GateResult `json:"gates,omitempty"`
}

// Report returns the -o json document; gates are the CI gates' results
// (nil when none was asked for).
func (d *Diff) Report(gates []GateResult) Report {
	changes := d.Changes
	if changes == nil {
		changes = []Change{}
	}
	return Report{Base: labelOf(d.Base), Cand: labelOf(d.Cand), Options: d.Opts.json(), Trace: d.Trace, Changes: changes, Summary: d.Summary, Gates: gates}
}
