package spanjson

import (
	"encoding/json"
	"strings"
	"testing"
)

var scanCases = []string{
	`{}`, `[]`, `{"a":1}`, `[1,2.5,-3e4,0,true,false,null,"x"]`, ` {"a" : [ {"b":{}} ] } `,
	`{"a":"\u00e9\ud83d\ude00\n\t\"\\\/"}`, `"\ud800"`, `-0.0E+1`,
	`{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[01]`, `[1.]`, `[.5]`, `[1e]`, `[-]`, `tru`, `nul`, `[nan]`,
	`"abc`, "\"a\x01\"", `"\x"`, `"\u12g4"`, `{"a":1}}`, `[1 2]`, `{"a" 1}`, `{1:2}`, `[}`, `{]`, ``, ` `,
}

func TestValidJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range scanCases {
		_, ok, _ := validJSON([]byte(c))
		if want := json.Valid([]byte(c)); ok != want {
			t.Errorf("validJSON(%q) = %v, encoding/json says %v", c, ok, want)
		}
	}
}

func TestValidJSONErrorOffset(t *testing.T) {
	for _, c := range []struct {
		in  string
		bad int
	}{
		{`{"a" 1}`, 5}, {`[1,]`, 3}, {`[01]`, 2}, {"\"a\x01\"", 2}, {`{"a":1}}`, 7}, {`{"a":`, 5}, {`tru`, 3}, {`trux`, 3},
	} {
		bad, ok, _ := validJSON([]byte(c.in))
		if ok || bad != c.bad {
			t.Errorf("validJSON(%q) = %d, %v; want error at %d", c.in, bad, ok, c.bad)
		}
	}
}

// The one-pass string reader agrees with encoding/json on every escape,
// for strings in and beyond the arena block size.
func TestStringAt(t *testing.T) {
	cases := []string{
		`""`, `"plain"`, `"\"quoted\""`, `"a\\b\/c\b\f\n\r\t"`, `"\u00e9 \u20ac \ud83d\ude00 \ud800 x"`,
		`"` + strings.Repeat(`{\"k\": \"v\"}, `, 2000) + `"`,
		`"` + strings.Repeat("long plain text ", 1000) + `"`,
		`"` + strings.Repeat(`\u00e9`, 3000) + `"`,
		// \u escapes next to a surrogate pair: the pair is decoded whole
		// whatever escape comes before it, and a surrogate that does not
		// pair is U+FFFD on its own.
		`"\u0000\ud800\udC00"`, `"\u0041\ud83d\ude00"`, `"\n\ud83d\ude00"`, `"\ud800\ud800\udc00"`,
		`"\udc00\ud800\udc00"`, `"\ud800\u0041"`, `"\ud800\n"`, `"a\ud800"`, `"\udbff\udfff\u00e9"`,
		`"\u00e9\u00e9\ud83d\ude00\u00e9"`, `"x\u0000\ud800\udC00` + strings.Repeat("y", 40) + `"`,
	}
	p := newReader(nil, "t", 1, 1)
	for _, c := range cases {
		doc := []byte(`[` + c + `]`)
		p.setDoc(doc, nil, 1, 1, false)
		got, end := p.stringAt(1)
		var want string
		if err := json.Unmarshal([]byte(c), &want); err != nil {
			t.Fatal(err)
		}
		if got != want || end != len(doc)-1 {
			t.Errorf("stringAt(%.40q…) = %.40q…, end %d; want %.40q…, end %d", c, got, end, want, len(doc)-1)
		}
		if got := unescapeJSON([]byte(c[1 : len(c)-1])); got != want {
			t.Errorf("unescapeJSON(%.40q…) = %.40q…, want %.40q…", c, got, want)
		}
	}
	// Strings handed out earlier stay intact while the arena fills up.
	p.setDoc([]byte(`["first \" string"]`), nil, 1, 1, false)
	first, _ := p.stringAt(1)
	for range 5000 {
		p.setDoc([]byte(`["filler \" filler filler filler"]`), nil, 1, 1, false)
		p.stringAt(1)
	}
	if first != `first " string` {
		t.Errorf("an earlier string changed: %q", first)
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, c := range scanCases {
		f.Add([]byte(c))
	}
	f.Add([]byte(`"\u0000\ud800\udC00"`)) // once decoded as "\x00\ufffd\ufffd"
	f.Add([]byte(`"\ud800\ud800\udc00"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, ok, _ := validJSON(b)
		if want := json.Valid(b); ok != want {
			t.Fatalf("validJSON(%q) = %v, encoding/json says %v", b, ok, want)
		}
		if !ok || len(b) == 0 {
			return
		}
		// A valid string document decodes like encoding/json does.
		i := skipWS(b, 0)
		if b[i] == '"' {
			p := newReader(nil, "f", 1, 1)
			p.setDoc(b, nil, 1, 1, false)
			got, end := p.stringAt(i)
			var want string
			if err := json.Unmarshal(b, &want); err == nil {
				if replaceInvalidUTF8(got) != want {
					t.Fatalf("stringAt(%q) = %q, want %q", b, got, want)
				}
				if u := unescapeJSON(b[i+1 : end-1]); replaceInvalidUTF8(u) != want {
					t.Fatalf("unescapeJSON(%q) = %q, want %q", b[i+1:end-1], u, want)
				}
			}
		}
	})
}

// replaceInvalidUTF8 maps each invalid byte to U+FFFD, as encoding/json
// does when it decodes a string (the model keeps the bytes).
func replaceInvalidUTF8(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

func TestDigitsInt(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1764694340818061307", 1764694340818061307, true}, {"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false}, {"99999999999999999999", 0, false}, {"-1", 0, false}, {"1.5", 0, false}, {"", 0, false},
	} {
		got, ok := digitsInt([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("digitsInt(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// The ends validation records are keyed by the container's own offset: the
// value at the first member or element of a big container is not taken for
// the container (that skipped from a big array's first element to the
// array's end, dropping the rest of it).
func TestValidJSONEndsKeyedByContainer(t *testing.T) {
	big := strings.Repeat(`{"k":"`+strings.Repeat("x", 100)+`"},`, bigContainer/100)
	doc := `[ 7, ` + big + `{"last":true}]`
	_, ok, ends := validJSON([]byte(doc))
	if !ok {
		t.Fatal("not valid")
	}
	if e, found := ends[0]; !found || e != len(doc) {
		t.Errorf("ends[0] = %d, %v; want %d (the array)", e, found, len(doc))
	}
	first := strings.Index(doc, "7")
	if e, found := ends[first]; found {
		t.Errorf("the first element's offset %d maps to %d: it is not a container", first, e)
	}
	p := newReader([]byte(doc), "x", 1, 1)
	p.ends = ends
	if got := p.vskip(first); got != first+1 {
		t.Errorf("vskip(first element) = %d, want %d", got, first+1)
	}
	// And an object's first key is not its end.
	obj := `{"a": "` + strings.Repeat("y", bigContainer) + `", "b": 1}`
	_, _, ends = validJSON([]byte(obj))
	if e, found := ends[0]; !found || e != len(obj) {
		t.Errorf("object: ends[0] = %d, %v; want %d", e, found, len(obj))
	}
	if _, found := ends[1]; found {
		t.Error("object: its first key's offset is recorded as a container")
	}
}
