package spanjson

import (
	"bytes"
	"encoding/json"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// ValueType records how an attribute value was typed where it came from.
// MLflow span dicts hold every value as a JSON-encoded string (ValueJSON);
// OTLP AnyValues carry a type, kept so that an OTLP write restores it.
type ValueType uint8

const (
	ValueJSON   ValueType = iota // MLflow rule: Value is JSON text (or a raw string that is not JSON)
	ValueString                  // OTLP stringValue: Value is the string itself
	ValueBool                    // OTLP boolValue: Value is "true" or "false"
	ValueInt                     // OTLP intValue: Value is the decimal integer
	ValueDouble                  // OTLP doubleValue: Value is JSON number text
	ValueBytes                   // OTLP bytesValue: Value is the JSON string of the base64
	ValueArray                   // OTLP arrayValue: Value is a JSON array
	ValueKVList                  // OTLP kvlistValue: Value is a JSON object
)

// Attribute is one key and its value, stored as text following MLflow's rule
// (formats.md §3.5): the value is JSON text; a value that is not valid JSON
// (a third-party producer's plain string) is kept as the raw string.
type Attribute struct {
	Key   string
	Value string
	Type  ValueType
}

// Attributes is an immutable, ordered attribute list with a decode cache:
// each value is decoded at most once, and concurrent readers are safe. The
// zero value is an empty list.
type Attributes struct{ s *attrSet }

// attrSet stores the attributes in 48 bytes plus 32 per attribute: the
// value types, nearly always all ValueJSON (MLflow input), are kept apart
// as one byte each in types, empty when every one is ValueJSON, and the
// decode cache is made on the first decode. A million-span MLflow file
// holds about five million attributes, so this is ~56 MB less than storing
// []Attribute (40 bytes each) with an inline cache.
type attrSet struct {
	list  []attrKV
	types string // types[i] is list[i]'s ValueType; "" when all are ValueJSON
	cache atomic.Pointer[[]decodedValue]
	// lazy, when set, holds the list as the text of an MLflow attribute
	// map, made into list on first use (see lazyAttributes); every read
	// of list goes through kv.
	lazy *lazyAttrs
}

// valueEscaped marks, in attrSet.types, a value kept as the content of the
// JSON string it was written as, escapes and all (Decoder.SetLazyValues):
// it is unescaped when read, and its type is ValueJSON.
const valueEscaped ValueType = 0xff

// lazyAttrs is an MLflow attribute map kept as its JSON text: valid, every
// value a string, n members. A command that never reads attributes
// (status, roots) then never pays for unescaping and storing them: that
// was a fifth of the CPU time of `tracectl status` on a dump of 20,000
// traces (see Decoder.SetLazyAttributes).
type lazyAttrs struct {
	once sync.Once
	text string
	n    int
}

// kv returns the list, made from the text of a lazy set on first use.
func (s *attrSet) kv() []attrKV {
	if l := s.lazy; l != nil {
		l.once.Do(func() { s.list = attrMapList(l.text, l.n) })
	}
	return s.list
}

// attrKV is an Attribute without its type.
type attrKV struct{ Key, Value string }

func (s *attrSet) at(i int) Attribute {
	a := Attribute{Key: s.kv()[i].Key, Value: s.value(i)}
	if s.types != "" && ValueType(s.types[i]) != valueEscaped {
		a.Type = ValueType(s.types[i])
	}
	return a
}

// value is the i-th value's text, unescaped now when it was kept escaped.
func (s *attrSet) value(i int) string {
	v := s.kv()[i].Value
	if s.types != "" && ValueType(s.types[i]) == valueEscaped && strings.IndexByte(v, '\\') >= 0 {
		return unescapeJSON(unsafe.Slice(unsafe.StringData(v), len(v)))
	}
	return v
}

// packAttrs appends list's keys and values to dst and returns the types
// string for them (see attrSet.types).
func packAttrs(dst []attrKV, list []Attribute) ([]attrKV, string) {
	typed := false
	for _, a := range list {
		dst = append(dst, attrKV{a.Key, a.Value})
		typed = typed || a.Type != ValueJSON
	}
	if !typed {
		return dst, ""
	}
	t := make([]byte, len(list))
	for i, a := range list {
		t[i] = byte(a.Type)
	}
	return dst, string(t)
}

type decodedValue struct {
	once sync.Once
	v    any
}

// NewAttributes makes an immutable list. It takes ownership of list.
func NewAttributes(list []Attribute) Attributes {
	if len(list) == 0 {
		return Attributes{}
	}
	kv, types := packAttrs(make([]attrKV, 0, len(list)), list)
	return Attributes{s: &attrSet{list: kv, types: types}}
}

// Len returns the number of attributes.
func (a Attributes) Len() int {
	if a.s == nil {
		return 0
	}
	if a.s.lazy != nil {
		return a.s.lazy.n
	}
	return len(a.s.list)
}

// At returns the i-th attribute in input order.
func (a Attributes) At(i int) Attribute { return a.s.at(i) }

// KeyAt returns the i-th attribute's key: At(i).Key without its value,
// which a set decoded with Decoder.SetLazyValues would unescape.
func (a Attributes) KeyAt(i int) string { return a.s.kv()[i].Key }

// All yields the attributes in input order.
func (a Attributes) All() iter.Seq[Attribute] {
	return func(yield func(Attribute) bool) {
		if a.s == nil {
			return
		}
		for i := range a.s.kv() {
			if !yield(a.s.at(i)) {
				return
			}
		}
	}
}

// List returns a copy of the attributes, for building a modified list.
func (a Attributes) List() []Attribute {
	if a.s == nil {
		return nil
	}
	list := make([]Attribute, len(a.s.kv()))
	for i := range list {
		list[i] = a.s.at(i)
	}
	return list
}

func (a Attributes) index(key string) int {
	if a.s == nil {
		return -1
	}
	kv := a.s.kv()
	for i := range kv {
		if kv[i].Key == key {
			return i
		}
	}
	return -1
}

// Lookup returns the attribute stored under key.
func (a Attributes) Lookup(key string) (Attribute, bool) {
	i := a.index(key)
	if i < 0 {
		return Attribute{}, false
	}
	return a.s.at(i), true
}

// Raw returns the stored (JSON-encoded) text of key.
func (a Attributes) Raw(key string) (string, bool) {
	at, ok := a.Lookup(key)
	return at.Value, ok
}

// Get returns the decoded value of key: what DecodeValue makes of the
// stored text. The result is cached, so a repeated Get does not allocate;
// callers must not modify maps or slices in it.
func (a Attributes) Get(key string) (any, bool) {
	i := a.index(key)
	if i < 0 {
		return nil, false
	}
	return a.decodedAt(i), true
}

// DecodedAt returns the decoded value of the i-th attribute (cached).
func (a Attributes) DecodedAt(i int) any { return a.decodedAt(i) }

func (a Attributes) decodedAt(i int) any {
	s := a.s
	cache := s.cache.Load()
	if cache == nil {
		c := make([]decodedValue, len(s.kv()))
		if !s.cache.CompareAndSwap(nil, &c) {
			cache = s.cache.Load()
		} else {
			cache = &c
		}
	}
	d := &(*cache)[i]
	d.once.Do(func() { d.v = DecodeValue(s.value(i)) })
	return d.v
}

// String returns key's value as display text: a decoded JSON string as is,
// anything else as its stored text. ok is false when key is absent.
func (a Attributes) String(key string) (string, bool) {
	v, ok := a.Get(key)
	if !ok {
		return "", false
	}
	if s, isStr := v.(string); isStr {
		return s, true
	}
	raw, _ := a.Raw(key)
	return raw, true
}

// DecodeValue applies MLflow's attribute rule: JSON text decodes to its
// value (numbers as json.Number, so no digits are lost); text that is not
// valid JSON is returned as the raw string.
func DecodeValue(raw string) any {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' && !strings.ContainsRune(raw[1:n-1], '\\') && !strings.ContainsRune(raw[1:n-1], '"') {
		return raw[1 : n-1] // the common case: a plain JSON string
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	if strings.TrimLeft(raw[dec.InputOffset():], " \t\r\n") != "" {
		return raw // trailing data: not one JSON value
	}
	return v
}

// EncodeValue JSON-encodes v the way MLflow stores attribute values. A value
// that cannot be encoded is stored as its fmt text, quoted.
func EncodeValue(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b, _ := json.Marshal(err.Error())
		return string(b)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
