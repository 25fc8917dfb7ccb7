package main

import "tracectl/internal/tracediff"

// diffJUnit is the JUnit report of diff's gates: one testsuite, a
// testcase per gate, failed with the gate's detail.
func diffJUnit(gates []tracediff.GateResult, what string) junitSuites {
	suite := junitSuite{Name: "tracectl diff", Props: []junitProp{{Name: "diff", Value: xmlSafe(what)}}, Cases: []junitCase{}}
	for _, g := range gates {
		name := g.Gate
		if g.Limit != "" {
			name += " " + g.Limit
		}
		tc := junitCase{Name: xmlSafe(name), Classname: "tracectl diff"}
		suite.Tests++
		if !g.Passed {
			suite.Failures++
			tc.Failure = &junitFailure{Message: xmlSafe(g.Detail), Type: g.Gate, Text: xmlSafe(g.Detail + "\n")}
		}
		suite.Cases = append(suite.Cases, tc)
	}
	return junitSuites{Name: "tracectl diff", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
}
