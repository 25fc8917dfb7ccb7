package spanjson

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

// Spans from different documents or requests carry different Resource and
// Scope pointers; equal values must still share one resourceSpans and one
// scopeSpans, in first-seen order.
func TestAppendOTLPGroupsByValue(t *testing.T) {
	res := func(svc string) *Resource {
		return &Resource{Attributes: NewAttributes([]Attribute{{Key: "service.name", Value: svc, Type: ValueString}}), SchemaURL: "https://s/1"}
	}
	scope := func(name, version string) *Scope {
		return &Scope{Name: name, Version: version}
	}
	span := func(id byte, r *Resource, s *Scope) Span {
		return NewSpan(SpanData{TraceID: TraceID{1}, SpanID: SpanID{id}, Name: string('a' + id), StartTime: int64(id), EndTime: 100, Resource: r, Scope: s})
	}
	tests := []struct {
		name  string
		spans []Span
		want  []string // per resourceSpans: "svc|scope:names;scope:names"
	}{
		{
			name:  "equal values, distinct pointers",
			spans: []Span{span(1, res("a"), scope("lib", "1")), span(2, res("a"), scope("lib", "1")), span(3, res("a"), scope("lib", "1"))},
			want:  []string{"a|lib@1:bcd"},
		},
		{
			name: "interleaved values keep first-seen order",
			spans: []Span{
				span(1, res("a"), scope("lib", "1")), span(2, res("b"), scope("lib", "1")),
				span(3, res("a"), scope("other", "1")), span(4, res("a"), scope("lib", "1")),
				span(5, res("b"), scope("lib", "2")),
			},
			want: []string{"a|lib@1:be;other@1:d", "b|lib@1:c;lib@2:f"},
		},
		{
			name: "schema URL and dropped count tell resources apart",
			spans: []Span{
				span(1, res("a"), nil),
				span(2, &Resource{Attributes: res("a").Attributes}, nil),
				span(3, &Resource{Attributes: res("a").Attributes, SchemaURL: "https://s/1", DroppedAttributes: 1}, nil),
				span(4, res("a"), nil),
			},
			want: []string{"a|@:be", "a|@:c", "a|@:d"},
		},
		{
			name:  "nil and empty resource and scope are the same",
			spans: []Span{span(1, nil, nil), span(2, &Resource{}, &Scope{})},
			want:  []string{"|@:bc"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &Trace{Spans: tt.spans}
			out, _, err := AppendTrace(nil, SchemaOTLP, tr)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			gjson.GetBytes(out, "resourceSpans").ForEach(func(_, rs gjson.Result) bool {
				s := rs.Get(`resource.attributes.0.value.stringValue`).Str + "|"
				rs.Get("scopeSpans").ForEach(func(i, ss gjson.Result) bool {
					if i.Int() > 0 {
						s += ";"
					}
					s += ss.Get("scope.name").Str + "@" + ss.Get("scope.version").Str + ":"
					ss.Get("spans").ForEach(func(_, sp gjson.Result) bool {
						s += sp.Get("name").Str
						return true
					})
					return true
				})
				got = append(got, s)
				return true
			})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("groups (-want +got):\n%s\n%s", diff, out)
			}
		})
	}
}
