package query

import (
	"strings"

	"tracectl/internal/spanjson"
)

// fieldKind names what a field reads.
type fieldKind uint8

const (
	fName fieldKind = iota
	fStatus
	fDuration
	fKind
	fType
	fModel
	fInputTokens
	fOutputTokens
	fTotalTokens
	fCost
	fSpanAttr
	fResourceAttr
	// Trace-level fields: one value per trace.
	fTraceName
	fTraceState
	fTraceDuration
	fTraceSpans
	fTraceID
	fTraceTag
	fTraceMeta
	fAssessment
)

// field is a resolved field reference.
type field struct {
	kind  fieldKind
	name  string   // as written
	key   string   // span.KEY, resource.KEY, trace:tag.KEY...: the KEY
	typ   vkind    // its values' type (vAny: decided per value)
	enum  []string // the words it takes (lower case), when it is an enumeration
	upper bool     // compared upper case (span types)
	slot  int      // trace-level fields: the slot of its value per trace
}

func (f *field) traceLevel() bool { return f.kind >= fTraceName }

var (
	statusWords = []string{"ok", "error", "unset"}
	kindWords   = []string{"unspecified", "internal", "server", "client", "producer", "consumer"}
	stateWords  = []string{"ok", "error", "in_progress", "unspecified"}
)

// simpleFields are the fields without a key.
var simpleFields = map[string]field{
	"name":           {kind: fName, typ: vStr},
	"status":         {kind: fStatus, typ: vStr, enum: statusWords},
	"duration":       {kind: fDuration, typ: vDur},
	"kind":           {kind: fKind, typ: vStr, enum: kindWords},
	"type":           {kind: fType, typ: vStr, upper: true},
	"model":          {kind: fModel, typ: vStr},
	"input_tokens":   {kind: fInputTokens, typ: vNum},
	"output_tokens":  {kind: fOutputTokens, typ: vNum},
	"total_tokens":   {kind: fTotalTokens, typ: vNum},
	"cost":           {kind: fCost, typ: vNum},
	"trace:name":     {kind: fTraceName, typ: vStr},
	"trace:state":    {kind: fTraceState, typ: vStr, enum: stateWords},
	"trace:duration": {kind: fTraceDuration, typ: vDur},
	"trace:spans":    {kind: fTraceSpans, typ: vNum},
	"trace:id":       {kind: fTraceID, typ: vStr},
}

// keyedFields are the fields written PREFIX.KEY.
var keyedFields = []struct {
	prefix string
	f      field
}{
	{"span.", field{kind: fSpanAttr, typ: vAny}},
	{"resource.", field{kind: fResourceAttr, typ: vAny}},
	{"trace:tag.", field{kind: fTraceTag, typ: vAny}},
	{"trace:metadata.", field{kind: fTraceMeta, typ: vAny}},
	{"assessment.", field{kind: fAssessment, typ: vAny}},
}

// field resolves the identifier t to a field.
func (p *parser) field(t token) (*field, error) {
	if f, ok := simpleFields[t.text]; ok {
		f.name = t.text
		return p.slotted(&f), nil
	}
	for _, kf := range keyedFields {
		if key, ok := strings.CutPrefix(t.text, kf.prefix); ok {
			if key == "" {
				return nil, p.errAt(t.pos+len(t.text), "%s needs a key, e.g. %sKEY", t.text, kf.prefix)
			}
			f := kf.f
			f.name, f.key = t.text, key
			return p.slotted(&f), nil
		}
	}
	hint := "name, status, duration, kind, type, model, input_tokens, output_tokens, total_tokens, cost, span.KEY, resource.KEY, trace:name, trace:state, trace:duration, trace:spans, trace:id, trace:tag.KEY, trace:metadata.KEY, assessment.NAME"
	if strings.HasPrefix(t.text, ".") || !strings.ContainsAny(t.text, ".:") {
		hint += " (an attribute is span." + strings.TrimPrefix(t.text, ".") + ")"
	}
	return nil, p.errAt(t.pos, "unknown field %s: want %s", t.text, hint)
}

func (p *parser) slotted(f *field) *field {
	if f.traceLevel() {
		f.slot = p.q.nTrace
		p.q.nTrace++
	}
	return f
}

// spanValue reads a span-level field of span i.
func (t *Trace) spanValue(f *field, i int) value {
	s := t.spans[i]
	switch f.kind {
	case fName:
		return strVal(s.Name())
	case fStatus:
		return strVal(statusWords[statusIndex(s.Status().Code)])
	case fDuration:
		if s.EndTime() == 0 {
			return value{} // still running: no duration yet
		}
		return durVal(s.Duration())
	case fKind:
		return strVal(strings.ToLower(s.Kind().String()))
	case fType:
		return strVal(t.typeAt(i))
	case fSpanAttr:
		return attrPath(s.Attributes(), f.key)
	case fResourceAttr:
		if r := s.Data().Resource; r != nil {
			return attrPath(r.Attributes, f.key)
		}
		return value{}
	}
	return genAIField(t.genaiOf(s, f.kind), f.kind)
}

func statusIndex(c spanjson.StatusCode) int {
	switch c {
	case spanjson.StatusOK:
		return 0
	case spanjson.StatusError:
		return 1
	}
	return 2
}

// traceValue reads a trace-level field.
func (t *Trace) traceValue(f *field) value {
	tr := t.trace
	switch f.kind {
	case fTraceName:
		return strVal(tr.Name())
	case fTraceState:
		st := tr.State()
		if st == spanjson.StateUnspecified {
			return strVal("unspecified")
		}
		return strVal(strings.ToLower(string(st)))
	case fTraceDuration:
		if d, ok := tr.Duration(); ok {
			return durVal(d)
		}
		return value{}
	case fTraceSpans:
		return numVal(float64(len(t.spans)))
	case fTraceID:
		return strVal(tr.ID())
	case fTraceTag:
		if v, ok := tr.Info.Tags[f.key]; ok {
			return strVal(v)
		}
		return value{}
	case fTraceMeta:
		if v, ok := tr.Info.Metadata[f.key]; ok {
			return strVal(v)
		}
		return value{}
	case fAssessment:
		return t.assessment(f.key)
	}
	return value{}
}

// attrValue is the value of attribute i of a, by the type it came with.
func attrValue(a spanjson.Attributes, i int) value {
	at := a.At(i)
	switch at.Type {
	case spanjson.ValueString:
		return strVal(at.Value)
	case spanjson.ValueBool:
		return boolVal(at.Value == "true")
	}
	return fromJSON(a.DecodedAt(i))
}

// attrPath reads key from a: an attribute of that name, else the longest
// attribute name that starts key followed by members of its decoded JSON
// value (span.llm.response.id may be the attribute "llm.response" and its
// member "id").
func attrPath(a spanjson.Attributes, key string) value {
	n := a.Len()
	for i := 0; i < n; i++ {
		if a.At(i).Key == key {
			return attrValue(a, i)
		}
	}
	for cut := strings.LastIndexByte(key, '.'); cut > 0; cut = strings.LastIndexByte(key[:cut], '.') {
		head, rest := key[:cut], key[cut+1:]
		for i := 0; i < n; i++ {
			if a.At(i).Key == head {
				if v, ok := member(a.DecodedAt(i), rest); ok {
					return fromJSON(v)
				}
				return value{}
			}
		}
	}
	return value{}
}

// member walks path (members joined by dots; a member name may hold dots
// itself, the longest is tried first) into a decoded JSON value.
func member(x any, path string) (any, bool) {
	if path == "" {
		return x, true
	}
	switch t := x.(type) {
	case map[string]any:
		for cut := len(path); cut > 0; cut = strings.LastIndexByte(path[:cut], '.') {
			if v, ok := t[path[:cut]]; ok {
				rest := ""
				if cut < len(path) {
					rest = path[cut+1:]
				}
				if r, ok := member(v, rest); ok {
					return r, true
				}
			}
			if cut < 0 {
				break
			}
		}
	case []any:
		head, rest, _ := strings.Cut(path, ".")
		k := 0
		for _, c := range head {
			if c < '0' || c > '9' || k > len(t) {
				return nil, false
			}
			k = k*10 + int(c-'0')
		}
		if head != "" && k < len(t) {
			return member(t[k], rest)
		}
	}
	return nil, false
}
