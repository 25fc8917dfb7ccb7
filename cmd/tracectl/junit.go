package main

import (
	"encoding/xml"
	"strings"
)

// JUnit XML as GitHub Actions (test reporters), GitLab and Jenkins read
// it. check: a testsuite per check, a testcase per trace in the check's
// scope, a failure with the detail as message and the offending spans as
// text. diff: one testsuite, a testcase per gate (diff_junit.go).

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Props    []junitProp `xml:"properties>property,omitempty"`
	Cases    []junitCase `xml:"testcase"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func (r *checkRun) junit() junitSuites {
	doc := junitSuites{Name: "tracectl check"}
	suites := make([]junitSuite, len(r.checks))
	for k, c := range r.checks {
		suites[k] = junitSuite{Name: c.Name, Skipped: r.stats[k].Skipped, Props: []junitProp{{Name: c.Kind(), Value: c.Query.Source}}}
		if c.Traces != nil {
			suites[k].Props = append(suites[k].Props, junitProp{Name: "traces", Value: c.Traces.Source})
		}
	}
	for _, o := range r.outcomes {
		s := &suites[o.check]
		name := o.trace.TraceID
		if o.trace.TraceName != "" {
			name += " (" + o.trace.TraceName + ")"
		}
		tc := junitCase{Name: xmlSafe(name), Classname: xmlSafe(s.Name), File: xmlSafe(o.trace.Source)}
		s.Tests++
		if !o.passed {
			s.Failures++
			var text strings.Builder
			for _, sp := range o.spans {
				text.WriteString(sp.Name + "  " + sp.SpanID + "  " + sp.Status)
				if sp.Exception != "" {
					text.WriteString("  " + sp.Exception)
				}
				text.WriteByte('\n')
			}
			if more := o.nSpans - len(o.spans); more > 0 {
				text.WriteString("… and " + itoa(more) + " more\n")
			}
			tc.Failure = &junitFailure{Message: xmlSafe(o.detail), Type: r.checks[o.check].Kind(), Text: xmlSafe(text.String())}
		}
		s.Cases = append(s.Cases, tc)
	}
	for k := range suites {
		suites[k].Name = xmlSafe(suites[k].Name)
		doc.Tests += suites[k].Tests
		doc.Failures += suites[k].Failures
	}
	doc.Suites = suites
	return doc
}

// xmlSafe drops what XML 1.0 cannot hold (most control characters,
// invalid UTF-8): encoding/xml escapes markup but would write those as
// they are, and a reader would refuse the file.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// writeJUnitFile writes a JUnit report to path atomically (check, diff).
func writeJUnitFile(path string, doc junitSuites) error {
	f, err := createAtomic(path)
	if err != nil {
		return err
	}
	enc := xml.NewEncoder(f)
	enc.Indent("", "  ")
	if _, err := f.Write([]byte(xml.Header)); err != nil {
		f.Abort()
		return err
	}
	if err := enc.Encode(doc); err != nil {
		f.Abort()
		return err
	}
	if _, err := f.Write([]byte("\n")); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}
