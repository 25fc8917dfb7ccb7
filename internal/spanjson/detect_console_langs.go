package spanjson

import (
	"crypto/sha256"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// The shapes of formats-more.md §4-§6 (the OpenTelemetry Python console
// dump, Langfuse exports, LangSmith runs): detect.go offers each top-level
// object and array to these hooks before its own shapes, so that a console
// span is not taken for an MLflow 2 span (formats-more.md §1).

// objectConsoleLangs decodes root when it is one of these shapes; ok is
// false when it is none of them.
func (p *reader) objectConsoleLangs(root gjson.Result, t topLevel, doc *Document) (ok bool, err error) {
	if t.info.Exists() || t.otlp.Exists() || t.traceInfo.Exists() || t.databricks.Exists() {
		return false, nil // an MLflow or OTLP document
	}
	get := func(key string) gjson.Result { return lookup(t.others, key) }
	switch {
	case isConsoleSpan(get) || isConsoleLog(get):
		return true, p.consoleDocument([]gjson.Result{root}, doc, false)
	case isLangfuse(t):
		return true, p.langfuse(root, t, doc)
	case isLangSmithRuns(get):
		return true, p.langsmithDocument(get("runs").Array(), doc, "LangSmith runs")
	case isLangSmithRun(get):
		return true, p.langsmithDocument([]gjson.Result{root}, doc, "LangSmith run")
	}
	return false, nil
}

// arrayConsoleLangs decodes a top-level array of console records or of
// LangSmith runs, told by its first item.
func (p *reader) arrayConsoleLangs(items []gjson.Result, doc *Document) (ok bool, err error) {
	first := items[0]
	if !first.IsObject() {
		return false, nil
	}
	switch {
	case isConsoleSpan(first.Get) || isConsoleLog(first.Get):
		return true, p.consoleDocument(items, doc, true)
	case isLangSmithRun(first.Get):
		return true, p.langsmithDocument(items, doc, "array of LangSmith runs")
	}
	return false, nil
}

// unreadable collects what could not be read in one span (a time that is
// not a time), for AttrReadError (readmarks.go), the one mark of every
// reader: the span keeps a stand-in, never a silent 0.
type unreadable []string

func (u *unreadable) add(member string, v gjson.Result) {
	*u = append(*u, member+" "+clip(v.Raw))
}

// attr appends the AttrReadError attribute to list when there is anything
// to say.
func (u unreadable) attr(list []Attribute) []Attribute {
	if len(u) == 0 {
		return list
	}
	return append(list, Attribute{Key: AttrReadError, Value: strings.Join(u, "; "), Type: ValueString})
}

// isoTime reads an ISO-8601 date-time (RFC 3339 with any number of
// fraction digits, 'T' or ' ' before the time, no zone meaning UTC) to unix
// nanoseconds. ok is false for anything else, and for times that int64
// nanoseconds cannot hold.
func isoTime(s string) (ns int64, ok bool) {
	for _, layout := range isoLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if t.Before(minNanoTime) || t.After(maxNanoTime) {
			return 0, false
		}
		return t.UnixNano(), true
	}
	return 0, false
}

var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

var (
	minNanoTime = time.Unix(0, -1<<63).UTC()
	maxNanoTime = time.Unix(0, 1<<63-1).UTC()
)

// timeMember reads a time member of a span that is an ISO string (msNumbers:
// or a number of milliseconds; else a number of nanoseconds). null is no
// time (ok, null true). Anything else is warned about, added to bad, and
// ok is false.
func (p *reader) timeMember(v gjson.Result, member string, msNumbers bool, bad *unreadable) (ns int64, ok, null bool) {
	switch v.Type {
	case gjson.Null:
		return 0, true, true
	case gjson.String:
		if n, good := isoTime(strings.TrimSpace(v.Str)); good {
			return n, true, false
		}
	case gjson.Number:
		exp := ""
		if msNumbers {
			exp = "e6"
		}
		if n, good := int64Of(gjson.Result{Type: gjson.Number, Raw: v.Raw + exp}); good {
			return n, true, false
		}
	}
	p.warn(v.Index, member+" "+clip(v.Raw)+" is not a time: the span is marked "+AttrReadError)
	bad.add(member, v)
	return 0, false, false
}

// spanTimes settles a span's times from what timeMember read: a start that
// could not be read (or is absent while the end is known) becomes the end,
// an end that could not be read the start (a zero-length span); an end
// that is null leaves the span unfinished.
func spanTimes(start, end int64, startOK, startNull, endOK bool) (int64, int64) {
	switch {
	case (!startOK || startNull) && endOK:
		start = end
	case !endOK && startOK:
		end = start
	}
	return start, end
}

// typedValue is a plain JSON value as a typed attribute value, as the OTLP
// reader stores an AnyValue (anyvalue.go): strings as they are (JSON-quoted
// with plain, the event and link rule), int64 numbers as ValueInt, other
// numbers as ValueDouble (an integer beyond int64 keeps its digits as
// ValueJSON), arrays and objects as their compact JSON text.
func (p *reader) typedValue(v gjson.Result, plain bool) (string, ValueType) {
	switch v.Type {
	case gjson.String:
		if plain {
			return string(appendJSONText(nil, v.Str)), ValueString
		}
		return p.str(v), ValueString
	case gjson.True:
		return "true", ValueBool
	case gjson.False:
		return "false", ValueBool
	case gjson.Null:
		return "null", ValueJSON
	case gjson.Number:
		if n, ok := parseJSONInt(v.Raw); ok {
			return strconv.FormatInt(n, 10), ValueInt
		}
		if isIntegerText(v) {
			return p.copyStr(v.Raw), ValueJSON
		}
		return doubleText(p.copyStr(v.Raw)), ValueDouble
	}
	if v.IsArray() {
		return string(compactJSON(v.Raw)), ValueArray
	}
	return string(compactJSON(v.Raw)), ValueKVList
}

// typedAttributes appends the members of the JSON object v as typed
// attributes (typedValue), each key prefixed with prefix.
func (p *reader) typedAttributes(dst []Attribute, v gjson.Result, prefix string, plain bool) []Attribute {
	if !v.IsObject() {
		if v.Exists() && v.Type != gjson.Null {
			p.warn(v.Index, "attributes are not an object: ignored")
		}
		return dst
	}
	v.ForEach(func(k, val gjson.Result) bool {
		value, typ := p.typedValue(val, plain)
		key := p.key(k)
		if prefix != "" {
			key = prefix + key
		}
		dst = append(dst, Attribute{Key: key, Value: value, Type: typ})
		return true
	})
	return dst
}

// ioJSON is the JSON text an input or output value stands for
// (formats-more.md §5.4): a string holding JSON is that JSON, decoded once
// more when it holds a JSON string that holds an object or array (double
// encoding), never deeper; other strings are JSON strings; other values
// are their JSON text. ok is false for null or absent.
func ioJSON(v gjson.Result) (string, bool) {
	switch {
	case !v.Exists() || v.Type == gjson.Null:
		return "", false
	case v.Type != gjson.String:
		return string(compactJSON(v.Raw)), true
	}
	s := strings.TrimSpace(v.Str)
	if s == "" || !gjson.Valid(s) {
		return string(appendJSONString(nil, v.Str)), true
	}
	inner := gjson.Parse(s)
	if inner.Type == gjson.String {
		if t := strings.TrimSpace(inner.Str); gjson.Valid(t) {
			if x := gjson.Parse(t); x.IsObject() || x.IsArray() {
				return string(compactJSON(t)), true
			}
		}
	}
	return string(compactJSON(s)), true
}

// emptyJSON reports whether v is null, absent, "", [] or {}: a member not
// worth keeping.
func emptyJSON(v gjson.Result) bool {
	switch {
	case !v.Exists() || v.Type == gjson.Null:
		return true
	case v.Type == gjson.String:
		return v.Str == ""
	case v.IsArray() || v.IsObject():
		empty := true
		v.ForEach(func(_, _ gjson.Result) bool {
			empty = false
			return false
		})
		return empty
	}
	return false
}

// textTraceID is the trace id of an id text of a format that is not
// OpenTelemetry: 32 hex digits as they are, a UUID without its dashes,
// anything else hashed (the first 16 bytes of its SHA-256). hashed says the
// id is not the text's, which the caller keeps in an attribute.
func textTraceID(s string) (id TraceID, hashed bool) {
	h := strings.ReplaceAll(s, "-", "")
	if len(h) == 32 && (len(s) == 32 || isUUID(s)) {
		if x, err := ParseTraceID(h); err == nil {
			return x, false
		}
	}
	sum := sha256.Sum256([]byte(s))
	copy(id[:], sum[:])
	return id, true
}

// textSpanID is the span id of an id text: 16 hex digits as they are,
// the last 16 hex digits of a UUID (time-ordered UUIDs share their leading
// ones), anything else hashed (the first 8 bytes of its SHA-256). hashed
// says the id is not all of the text's.
func textSpanID(s string) (id SpanID, hashed bool) {
	if len(s) == 16 && isHexID(s, 16) {
		x, _ := ParseSpanID(s)
		return x, false
	}
	if isUUID(s) {
		x, _ := ParseSpanID(strings.ReplaceAll(s, "-", "")[16:])
		return x, true
	}
	sum := sha256.Sum256([]byte(s))
	copy(id[:], sum[:])
	return id, true
}

// isUUID reports whether s is a UUID in its 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	return isHexID(s[:8]+s[9:13]+s[14:18]+s[19:23]+s[24:], 32)
}

// eventMembers names the members of the events of the console and
// LangSmith readers, which differ only in them.
type eventMembers struct {
	list, item  string // for warnings: "span events", "a span event"
	time, attrs string // the member holding the time, the attributes
	msNumbers   bool   // a number time is milliseconds (else nanoseconds)
}

// timedEvents reads a list of {name, time, attributes} objects. An event
// whose time is absent or cannot be read (warned about, its span marked)
// is put at fallback; other members are kept.
func (p *reader) timedEvents(v gjson.Result, m eventMembers, fallback int64, bad *unreadable) []Event {
	if !v.Exists() || !p.isList(v, m.list) {
		return nil
	}
	out := []Event{}
	i := 0
	v.ForEach(func(_, ev gjson.Result) bool {
		member := "events[" + strconv.Itoa(i) + "]." + m.time
		i++
		if !p.isItemObject(ev, m.item) {
			return true
		}
		var e Event
		var extras []Field
		ev.ForEach(func(k, val gjson.Result) bool {
			switch k.Str {
			case "name":
				e.Name = p.str(val)
			case m.time:
				e.Time = fallback
				if n, ok, null := p.timeMember(val, member, m.msNumbers, bad); ok && !null {
					e.Time = n
				}
			case m.attrs:
				e.Attributes = p.newAttributes(p.typedAttributes(nil, val, "", true))
			default:
				extras = append(extras, p.field(k, val))
			}
			return true
		})
		p.keepExtras(&e.Extra, extras)
		out = append(out, e)
		return true
	})
	return out
}
